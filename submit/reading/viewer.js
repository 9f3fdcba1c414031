// The viewer's script (submit/reading/viewer.py): hover links a box and its character; edit mode
// corrects the pages and exports the checked ones as a competition-layout train.csv.
(() => {
  'use strict';
  const $ = (q, el = document) => el.querySelector(q);
  const CODE = /^U\+[0-9A-F]{4,6}$/;
  const data = JSON.parse($('#kz-data').textContent);
  const pages = data.pages.map((p, n) => ({
    n, id: p.id, w: p.w, h: p.h, checked: false,
    boxes: p.b.map((b, i) => ({x: b[0], y: b[1], w: b[2], h: b[3], u: b[4], c: b[5], o: i})),
  }));
  const byId = new Map(pages.map(p => [p.id, p]));
  const undo = [];  // each entry: the pages one change touched, as they were before it
  let editing = false, sel = null, drag = null;  // sel: {n, j}, a page and a box index

  const charOf = u => CODE.test(u) ? String.fromCodePoint(parseInt(u.slice(2), 16)) : (u === 'none' ? '∅' : '?');
  const codeOf = text => {
    const t = text.trim();
    if (/^[Uu]\+[0-9A-Fa-f]{4,6}$/.test(t)) return t.toUpperCase();
    const chars = [...t];
    return chars.length === 1 ? 'U+' + chars[0].codePointAt(0).toString(16).toUpperCase().padStart(4, '0') : null;
  };
  const say = text => { $('#kz-status').textContent = text; };
  const box = () => sel && pages[sel.n].boxes[sel.j];

  document.addEventListener('mouseover', e => {  // hover: the box and its character light up together
    const k = e.target.dataset && e.target.dataset.k; if (!k) return;
    document.querySelectorAll('.on').forEach(n => n.classList.remove('on'));
    document.querySelectorAll('[data-k="' + k + '"]').forEach(n => n.classList.add('on'));
  });

  function remember(ns) {
    undo.push(ns.map(n => ({n, boxes: JSON.stringify(pages[n].boxes), checked: pages[n].checked})));
    if (undo.length > 500) undo.shift();
  }
  function back() {
    const entry = undo.pop();
    if (!entry) { say('nothing to undo'); return; }
    entry.forEach(s => { pages[s.n].boxes = JSON.parse(s.boxes); pages[s.n].checked = s.checked; });
    sel = null;
    entry.forEach(s => render(s.n));
    panel();
    say('undone');
  }

  function render(n) {
    const page = pages[n], section = $('#page-' + n), layer = $('.layer', section);
    layer.textContent = '';
    page.boxes.forEach((b, j) => {
      const div = document.createElement('div');
      const on = sel && sel.n === n && sel.j === j;
      div.className = 'ebox' + (CODE.test(b.u) ? '' : ' blank') + (on ? ' sel' : '');
      div.dataset.j = j;
      Object.assign(div.style, {
        left: 100 * b.x / page.w + '%', top: 100 * b.y / page.h + '%',
        width: 100 * b.w / page.w + '%', height: 100 * b.h / page.h + '%',
      });
      div.title = `${charOf(b.u)}  ${b.u || '(no character)'}  ${b.x} ${b.y} ${b.w} ${b.h}`;
      const label = document.createElement('span');
      label.className = 'lab';
      label.textContent = CODE.test(b.u) ? charOf(b.u) : '?';
      div.appendChild(label);
      if (on) { const h = document.createElement('div'); h.className = 'handle'; div.appendChild(h); }
      layer.appendChild(div);
    });
    const now = new Map(page.boxes.filter(b => b.o >= 0).map(b => [b.o, b]));
    section.querySelectorAll('.text span[data-k]').forEach(span => {
      const b = now.get(+span.dataset.k.split('-')[1]);
      span.classList.toggle('gone', !b);
      if (b) span.textContent = charOf(b.u);
    });
    section.classList.toggle('checked', page.checked);
    $('[data-check]', section).checked = page.checked;
  }

  function panel() {
    const b = box(), cands = $('#kz-cands');
    cands.textContent = '';
    if (!b) {
      $('#kz-where').textContent = 'click a box; drag on the page to draw one';
      $('#kz-char').textContent = '';
      return;
    }
    const page = pages[sel.n];
    $('#kz-where').textContent = `${page.id}: box ${sel.j + 1} of ${page.boxes.length} · ${b.u || 'no character'}`
      + ` · ${b.x} ${b.y} ${b.w} ${b.h}`;
    $('#kz-char').textContent = CODE.test(b.u) ? charOf(b.u) : '?';
    b.c.slice(0, 5).forEach(([u, p], k) => {
      const button = document.createElement('button');
      button.dataset.pick = u;
      button.textContent = `${k + 1} ${charOf(u)} ${p.toFixed(2)}`;
      cands.appendChild(button);
    });
  }

  function select(n, j) {
    const was = sel;
    sel = j === null ? null : {n, j};
    if (was && was.n !== n) render(was.n);
    if (n !== null) render(n);
    panel();
  }
  function setCode(u) {
    const b = box(); if (!b) return;
    if (!u || !CODE.test(u)) { say('type one character, or U+ and its hex code'); return; }
    remember([sel.n]);
    b.u = u;
    render(sel.n); panel();
    say(`${pages[sel.n].id}: box ${sel.j + 1} is ${charOf(u)} ${u}`);
  }
  function remove() {
    if (!box()) return;
    const n = sel.n;
    remember([n]);
    pages[n].boxes.splice(sel.j, 1);
    sel = null;
    render(n); panel();
    say(`${pages[n].id}: box deleted`);
  }
  function toggleChecked(n) {
    remember([n]);
    pages[n].checked = !pages[n].checked;
    render(n);
    say(`${pages[n].id}: ${pages[n].checked ? 'checked' : 'not checked'}`);
  }
  function nudge(dx, dy, grow) {
    const b = box(); if (!b) return;
    const page = pages[sel.n];
    remember([sel.n]);
    if (grow) {
      b.w = Math.min(Math.max(1, b.w + dx), page.w - b.x);
      b.h = Math.min(Math.max(1, b.h + dy), page.h - b.y);
    } else {
      b.x = Math.min(Math.max(0, b.x + dx), page.w - b.w);
      b.y = Math.min(Math.max(0, b.y + dy), page.h - b.h);
    }
    render(sel.n); panel();
  }
  function currentPage() {
    if (sel) return sel.n;
    const sections = [...document.querySelectorAll('section.page')];
    const seen = sections.filter(s => s.getBoundingClientRect().top < window.innerHeight / 2);
    return seen.length ? +seen[seen.length - 1].id.slice(5) : 0;
  }
  function setEditing(on) {
    editing = on;
    document.body.classList.toggle('edit', on);
    $('#kz-edit').textContent = on ? 'View (e)' : 'Edit (e)';
    if (on) pages.forEach(p => render(p.n));
    say(on ? 'editing: click a box, or drag to draw one' : '');
  }

  // --- export and import: train.csv in the competition's layout -------------------------------
  function exportCsv() {
    let rows = 'image_id,labels\n', count = 0, blank = 0;
    pages.filter(p => p.checked).forEach(p => {
      const kept = p.boxes.filter(b => CODE.test(b.u));
      blank += p.boxes.length - kept.length;
      const id = /[",\n]/.test(p.id) ? '"' + p.id.replace(/"/g, '""') + '"' : p.id;
      rows += id + ',' + kept.map(b => [b.u, b.x, b.y, b.w, b.h].join(' ')).join(' ') + '\n';
      count += 1;
    });
    return {rows, count, blank};
  }
  function download() {
    const {rows, count, blank} = exportCsv();
    if (!count) { say('no page is checked: mark the pages you corrected (c), then export'); return; }
    const link = document.createElement('a');
    link.href = URL.createObjectURL(new Blob([rows], {type: 'text/csv'}));
    link.download = 'train.csv';
    document.body.appendChild(link); link.click(); link.remove();
    say(`exported ${count} checked pages` + (blank ? `; ${blank} boxes without a character left out` : ''));
  }
  function importCsv(text) {
    const lines = text.replace(/^\ufeff/, '').split(/\r?\n/);
    if (lines[0].trim() !== 'image_id,labels') { say('not a train.csv: its first line must be image_id,labels'); return; }
    const found = [], unknown = [];
    for (let k = 1; k < lines.length; k++) {
      if (!lines[k].trim()) continue;
      const at = lines[k].lastIndexOf(',');
      const id = lines[k].slice(0, at).replace(/^"(.*)"$/, '$1').replace(/""/g, '"'), labels = lines[k].slice(at + 1);
      const page = byId.get(id);
      if (!page) { unknown.push(id); continue; }
      const t = labels.split(/\s+/).filter(Boolean), boxes = [];
      for (let i = 0; i + 4 < t.length; i += 5) {
        const [x, y, w, h] = t.slice(i + 1, i + 5).map(Number);
        if (!CODE.test(t[i]) || ![x, y, w, h].every(Number.isInteger)) { say(`line ${k + 1}: bad box ${t.slice(i, i + 5).join(' ')}`); return; }
        const old = page.boxes.find(b => b.x === x && b.y === y && b.w === w && b.h === h);
        boxes.push({x, y, w, h, u: t[i], c: old ? old.c : [[t[i], 1]], o: old ? old.o : -1});
      }
      if (t.length % 5) { say(`line ${k + 1}: labels are not groups of U+XXXX x y w h`); return; }
      found.push([page, boxes]);
    }
    remember(found.map(([p]) => p.n));
    found.forEach(([p, boxes]) => { p.boxes = boxes; p.checked = true; });
    sel = null;
    if (!editing) setEditing(true);
    found.forEach(([p]) => render(p.n));
    panel();
    say(`imported ${found.length} pages` + (unknown.length ? `; not in this viewer: ${unknown.join(', ')}` : ''));
  }

  // --- the mouse: select, move, resize, draw ---------------------------------------------------
  function at(e, n) {
    const r = $('#page-' + n + ' .sheet').getBoundingClientRect(), page = pages[n];
    return {
      x: Math.min(Math.max(0, Math.round((e.clientX - r.left) * page.w / r.width)), page.w),
      y: Math.min(Math.max(0, Math.round((e.clientY - r.top) * page.h / r.height)), page.h),
    };
  }
  document.addEventListener('mousedown', e => {
    const layer = editing && e.target.closest('.layer');
    if (!layer || e.button !== 0) return;
    e.preventDefault();
    const n = +layer.parentNode.dataset.n, page = pages[n], start = at(e, n);
    const hit = e.target.closest('.ebox');
    const before = JSON.stringify(page.boxes);
    if (hit) {
      const j = +hit.dataset.j;
      select(n, j);
      drag = {n, before, start, mode: e.target.classList.contains('handle') ? 'resize' : 'move', orig: {...page.boxes[j]}};
    } else {
      drag = {n, before, start, mode: 'draw', added: false};
    }
  });
  document.addEventListener('mousemove', e => {
    if (!drag) return;
    const page = pages[drag.n], p = at(e, drag.n), dx = p.x - drag.start.x, dy = p.y - drag.start.y;
    if (drag.mode === 'draw') {
      const w = Math.abs(dx), h = Math.abs(dy);
      if (!drag.added) {
        if (w < 3 || h < 3) return;
        page.boxes.push({x: 0, y: 0, w: 1, h: 1, u: '', c: [], o: -1});
        drag.added = true;
        sel = {n: drag.n, j: page.boxes.length - 1};
      }
      Object.assign(page.boxes[sel.j], {x: Math.min(p.x, drag.start.x), y: Math.min(p.y, drag.start.y), w, h});
    } else {
      const b = page.boxes[sel.j], o = drag.orig;
      if (drag.mode === 'move') {
        b.x = Math.min(Math.max(0, o.x + dx), page.w - o.w);
        b.y = Math.min(Math.max(0, o.y + dy), page.h - o.h);
      } else {
        b.w = Math.min(Math.max(1, o.w + dx), page.w - o.x);
        b.h = Math.min(Math.max(1, o.h + dy), page.h - o.y);
      }
    }
    render(drag.n);
  });
  document.addEventListener('mouseup', () => {
    if (!drag) return;
    const {n, before, mode, added} = drag;
    drag = null;
    if (JSON.stringify(pages[n].boxes) !== before) {
      undo.push([{n, boxes: before, checked: pages[n].checked}]);
      say(mode === 'draw' ? 'box drawn: type its character (t)' : 'box ' + (mode === 'move' ? 'moved' : 'resized'));
    } else if (mode === 'draw') {
      select(null, null);
    }
    render(n); panel();
    if (added) $('#kz-type').focus();
  });

  // --- buttons and keys --------------------------------------------------------------------------
  document.addEventListener('click', e => {
    const pick = e.target.dataset && e.target.dataset.pick;
    if (pick) setCode(pick);
  });
  document.addEventListener('change', e => {
    if (e.target.dataset.check !== undefined) {
      e.target.checked = !e.target.checked;  // toggleChecked sets it, with an undo step
      toggleChecked(+e.target.dataset.check);
    }
  });
  $('#kz-edit').addEventListener('click', () => setEditing(!editing));
  $('#kz-undo').addEventListener('click', back);
  $('#kz-export').addEventListener('click', download);
  $('#kz-delete').addEventListener('click', remove);
  $('#kz-import').addEventListener('change', e => {
    const file = e.target.files[0]; if (!file) return;
    const reader = new FileReader();
    reader.onload = () => importCsv(reader.result);
    reader.readAsText(file);
    e.target.value = '';
  });
  $('#kz-type').addEventListener('keydown', e => {
    if (e.key === 'Enter') {
      setCode(codeOf(e.target.value));
      e.target.value = '';
      e.target.blur();
    } else if (e.key === 'Escape') {
      e.target.blur();
    }
    e.stopPropagation();
  });
  document.addEventListener('keydown', e => {
    if (e.target.tagName === 'INPUT' && e.target.type !== 'checkbox') return;
    if (e.key === 'e' && !e.ctrlKey && !e.metaKey) { setEditing(!editing); return; }
    if (!editing) return;
    const key = e.key, b = box();
    let done = true;
    if ((e.ctrlKey || e.metaKey) && key === 'z' || key === 'u') back();
    else if (e.ctrlKey || e.metaKey || e.altKey) done = false;
    else if (/^[1-5]$/.test(key) && b && b.c[+key - 1]) setCode(b.c[+key - 1][0]);
    else if (key === 'Delete' || key === 'Backspace') remove();
    else if ((key === 't' || key === 'Enter') && b) $('#kz-type').focus();
    else if (key === 'c') toggleChecked(currentPage());
    else if (key === 'x') download();
    else if (key === 'Escape') select(null, null);
    else if ((key === 'n' || key === 'p') && pages[currentPage()].boxes.length) {
      const n = currentPage(), count = pages[n].boxes.length;
      select(n, sel ? (sel.j + (key === 'n' ? 1 : count - 1)) % count : 0);
    } else if (key.startsWith('Arrow') && b) {
      const step = {ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1]}[key];
      nudge(step[0], step[1], e.shiftKey);
    } else done = false;
    if (done) e.preventDefault();
  });
})();
