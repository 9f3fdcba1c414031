"""Reading a book into text: reading order, transcriptions and the page viewer."""
