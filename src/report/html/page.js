(function () {
  'use strict';
  var root = document.documentElement;
  var svg = document.getElementById('timeline');
  // The drawing's sizes, as the page was drawn with them.
  var geometry = svg ? svg.getAttribute('data-geometry').split(' ').map(Number) : [0, 0, 0, 0];
  var WIDTH = geometry[0], GUTTER = geometry[1], LANE = geometry[2], AXIS = geometry[3];
  var PLOT = WIDTH - GUTTER - 20;
  function px(x) { return GUTTER + 10 + x * PLOT; }

  function openTo(id) {
    var el = document.getElementById(id);
    for (var p = el; p; p = p.parentElement) {
      if (p.tagName === 'DETAILS') { p.open = true; }
    }
    return el;
  }

  function setUpTimeline() {
    var form = document.getElementById('controls');
    var tip = document.getElementById('tip');
    var brush = document.getElementById('brush');
    var marks = Array.prototype.slice.call(svg.querySelectorAll('.mark'));
    var lanes = Array.prototype.slice.call(svg.querySelectorAll('.lane'));
    var ticks = Array.prototype.slice.call(svg.querySelectorAll('.tick-label'));
    var view = [0, 1];
    form.hidden = false;
    marks.forEach(function (m) {
      var title = m.querySelector('title');
      m.setAttribute('data-tip', title ? title.textContent : '');
      if (title) { title.remove(); }
    });

    function checked(name) {
      var on = {};
      form.querySelectorAll('input[name=' + name + ']').forEach(function (i) { on[i.value] = i.checked; });
      return on;
    }

    function tickText(f) {
      var start = Number(svg.getAttribute('data-start')), end = Number(svg.getAttribute('data-end'));
      var ms = start + (end - start) * f;
      var text = new Date(ms).toISOString().replace('T', ' ');
      var span = (end - start) * (view[1] - view[0]);
      return span < 10000 ? text.slice(0, 23) : text.slice(0, 19);
    }

    function layout() {
      var sev = checked('sev'), kind = checked('kind'), laneOn = checked('lane');
      var row = {}, shown = 0;
      lanes.forEach(function (g) {
        var i = g.getAttribute('data-lane');
        g.style.display = laneOn[i] ? '' : 'none';
        if (laneOn[i]) {
          g.setAttribute('transform', 'translate(0 ' + (AXIS + LANE * shown) + ')');
          row[i] = shown++;
        }
      });
      var height = AXIS + LANE * Math.max(shown, 1) + 8;
      svg.setAttribute('viewBox', '0 0 ' + WIDTH + ' ' + height);
      svg.querySelectorAll('.tick').forEach(function (t) { t.setAttribute('y2', height); });
      brush.setAttribute('height', height);
      var a = view[0], b = view[1], scale = 1 / (b - a), visible = 0;
      marks.forEach(function (m) {
        var lane = m.getAttribute('data-lane'), k = m.getAttribute('data-kind');
        var x = Number(m.getAttribute('data-x'));
        var until = m.hasAttribute('data-until') ? Number(m.getAttribute('data-until')) : x;
        var on = laneOn[lane] && (k === 'finding' ? sev[m.getAttribute('data-sev')] : kind[k]) &&
          until >= a && x <= b;
        m.style.display = on ? '' : 'none';
        if (!on) { return; }
        visible++;
        var nx = Math.max(0, (x - a) * scale);
        var dx = px(nx) - px(x), dy = (row[lane] - Number(lane)) * LANE;
        m.setAttribute('transform', 'translate(' + dx.toFixed(1) + ' ' + dy + ')');
        if (k === 'stall') {
          var end = Math.min(1, (until - a) * scale);
          m.firstElementChild.setAttribute('width', Math.max(2, (end - nx) * PLOT).toFixed(1));
        }
      });
      if (svg.getAttribute('data-axis') === 'time') {
        ticks.forEach(function (t, i) { t.textContent = tickText(a + (b - a) * i / 4); });
      }
      root.setAttribute('data-visible-marks', String(visible));
    }

    form.addEventListener('change', layout);
    document.getElementById('unzoom').addEventListener('click', function () { view = [0, 1]; layout(); });

    function fraction(event) {
      var pt = svg.createSVGPoint();
      pt.x = event.clientX; pt.y = event.clientY;
      var p = pt.matrixTransform(svg.getScreenCTM().inverse());
      var f = (p.x - GUTTER - 10) / PLOT;
      return { x: Math.min(Math.max(p.x, GUTTER + 10), GUTTER + 10 + PLOT), f: Math.min(Math.max(f, 0), 1) };
    }
    var dragFrom = null;
    svg.addEventListener('mousedown', function (e) {
      if (e.button !== 0 || e.target.closest('.mark')) { return; }
      dragFrom = fraction(e);
      e.preventDefault();
    });
    window.addEventListener('mousemove', function (e) {
      if (!dragFrom) { return; }
      var to = fraction(e);
      brush.setAttribute('x', Math.min(dragFrom.x, to.x));
      brush.setAttribute('width', Math.abs(to.x - dragFrom.x));
    });
    window.addEventListener('mouseup', function (e) {
      if (!dragFrom) { return; }
      var to = fraction(e), from = dragFrom;
      dragFrom = null;
      brush.setAttribute('width', 0);
      if (Math.abs(to.x - from.x) < 4) { return; }
      var span = view[1] - view[0];
      var lo = view[0] + span * Math.min(from.f, to.f), hi = view[0] + span * Math.max(from.f, to.f);
      view = [lo, Math.max(hi, lo + 1e-9)];
      layout();
    });

    marks.forEach(function (m) {
      m.addEventListener('mousemove', function (e) {
        tip.textContent = m.getAttribute('data-tip');
        tip.hidden = false;
        tip.style.left = Math.min(e.clientX + 14, window.innerWidth - 660) + 'px';
        tip.style.top = (e.clientY + 14) + 'px';
      });
      m.addEventListener('mouseleave', function () { tip.hidden = true; });
      m.addEventListener('click', function () {
        openTo(m.getAttribute('href').slice(1));
      });
    });
    layout();
  }

  function setUpSorting() {
    document.querySelectorAll('table.sortable').forEach(function (table) {
      var heads = table.querySelectorAll('th');
      heads.forEach(function (th, col) {
        th.addEventListener('click', function () {
          var up = th.getAttribute('aria-sort') !== 'ascending';
          heads.forEach(function (h) { h.removeAttribute('aria-sort'); });
          th.setAttribute('aria-sort', up ? 'ascending' : 'descending');
          var num = th.getAttribute('data-type') === 'num';
          var body = table.tBodies[0];
          var rows = Array.prototype.slice.call(body.rows);
          function value(row) {
            var cell = row.cells[col];
            var v = cell.hasAttribute('data-sort') ? cell.getAttribute('data-sort') : cell.textContent;
            return num ? Number(v) : v.toLowerCase();
          }
          rows.sort(function (r1, r2) {
            var v1 = value(r1), v2 = value(r2);
            return (v1 < v2 ? -1 : v1 > v2 ? 1 : 0) * (up ? 1 : -1);
          });
          rows.forEach(function (r) { body.appendChild(r); });
        });
      });
    });
  }

  function setUpCopy() {
    var button = document.getElementById('copy');
    var text = document.getElementById('md');
    var status = document.getElementById('copied');
    button.hidden = false;
    button.addEventListener('click', function () {
      function fallback() {
        text.closest('details').open = true;
        text.select();
        status.textContent = document.execCommand('copy') ? 'Copied.' : 'Select the text below and copy it.';
      }
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text.value).then(function () { status.textContent = 'Copied.'; }, fallback);
      } else {
        fallback();
      }
    });
  }

  if (svg) { setUpTimeline(); }
  setUpSorting();
  setUpCopy();
  if (location.hash.length > 1 && document.getElementById(location.hash.slice(1))) {
    openTo(location.hash.slice(1));
  }
  root.setAttribute('data-marks', String(svg ? svg.querySelectorAll('.mark').length : 0));
  root.setAttribute('data-lanes', String(svg ? svg.querySelectorAll('.lane').length : 0));
  root.setAttribute('data-rendered', '1');
}());
