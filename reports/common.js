/*
 * common.js - what balloonbench's pages share (report.html, compare.html):
 * element building, number formatting, uPlot charts, and the #selftest.
 * Inlined into each page after uPlot and before the page's own script.
 *
 * Open a page with #selftest and, once drawn, it checks that every chart
 * has pixels of its series' colours and that every .fit container shows its
 * content whole (no wider than the container), runs the page's own checks
 * (bb.check), and writes the outcome into <body data-charts data-blank
 * data-wide data-checks data-errors data-selftest> (the browser tests read it).
 */
var bb = (function () {
	'use strict';

	var charts = [];	/* {name, plot, colors} */
	var checks = [];	/* the page's own #selftest checks: each returns '' or what is wrong */

	function el(tag, attrs) {
		var e = document.createElement(tag);
		var k;

		for (k in attrs || {}) {
			if (k === 'text')
				e.textContent = attrs[k];
			else if (k === 'html')
				e.innerHTML = attrs[k];
			else
				e.setAttribute(k, attrs[k]);
		}
		for (k = 2; k < arguments.length; k++)
			if (arguments[k] != null)
				e.appendChild(typeof arguments[k] === 'string' ? document.createTextNode(arguments[k]) : arguments[k]);
		return e;
	}
	function num(s) {
		if (s === '' || s == null)
			return null;
		var v = Number(s);
		return isFinite(v) ? v : null;
	}
	function fmt(v, digits) {
		if (v == null || v === '' || !isFinite(Number(v)))
			return v == null ? '' : String(v);
		v = Number(v);
		if (digits == null)
			digits = Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2;
		return v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
	}

	/* the width a full-width chart gets: <main>'s content box, padding left out */
	function width() {
		var m = document.querySelector('main'), w = 1200;

		if (m && m.clientWidth) {
			var cs = getComputedStyle(m);
			w = m.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
		}
		return Math.max(480, Math.min(1200, w - 8));
	}
	function chart(parent, name, opts, data, note) {
		var box = el('div', { class: 'chart' });
		var plot;

		parent.appendChild(box);
		opts.title = name;
		opts.width = opts.width || width();
		opts.height = opts.height || 260;
		opts.legend = opts.legend || { live: true };
		plot = new uPlot(opts, data, box);
		if (note)
			box.appendChild(el('div', { class: 'note', text: note }));
		charts.push({ name: name, plot: plot, colors: opts.series.slice(1).map(function (x) { return x.stroke; }) });
		return plot;
	}
	function line(label, color, extra) {
		var s = { label: label, stroke: color, width: 1.5, spanGaps: true, points: { show: false } };
		for (var k in extra || {})
			s[k] = extra[k];
		return s;
	}

	/* #selftest: every chart must show pixels of its series' colours, not only axes and grid */
	function selfTest() {
		var blank = [];
		charts.forEach(function (c) {
			var cv = c.plot.ctx.canvas, ctx = c.plot.ctx, hits = 0;
			var px = ctx.getImageData(0, 0, cv.width, cv.height).data;
			var rgb = c.colors.filter(Boolean).map(function (h) {
				return [parseInt(h.substr(1, 2), 16), parseInt(h.substr(3, 2), 16), parseInt(h.substr(5, 2), 16)];
			});
			for (var i = 0; i < px.length; i += 4) {
				if (px[i + 3] < 200)
					continue;
				for (var k = 0; k < rgb.length; k++)
					if (Math.abs(px[i] - rgb[k][0]) + Math.abs(px[i + 1] - rgb[k][1]) + Math.abs(px[i + 2] - rgb[k][2]) < 40) {
						hits++;
						break;
					}
			}
			if (hits < 10)
				blank.push(c.name + ' (' + hits + ' series pixels)');
		});
		document.body.setAttribute('data-charts', String(charts.length));
		document.body.setAttribute('data-blank', blank.join(' | '));
		/* a container marked .fit must show its content whole: wider content is cut off or scrolls */
		document.body.setAttribute('data-wide', Array.prototype.map.call(document.querySelectorAll('.fit'), function (e) {
			return e.scrollWidth > e.clientWidth ? (e.id || e.className) + ' (' + e.scrollWidth + ' > ' + e.clientWidth + ' px)' : '';
		}).filter(Boolean).join(' | '));
		document.body.setAttribute('data-checks', checks.map(function (f) {
			try { return f() || ''; } catch (e) { return String(e); }
		}).filter(Boolean).join(' | '));
		document.body.setAttribute('data-errors', (window.bbErrors || []).join(' | '));
		document.body.setAttribute('data-selftest', 'done');
	}

	/* draw the page: an error is shown in it (and kept for the selftest), then rethrown */
	function draw(parent, fn) {
		try {
			fn();
		} catch (e) {
			(window.bbErrors = window.bbErrors || []).push(String(e && e.stack || e));
			parent.appendChild(el('div', { class: 'banner bad', text: 'The page failed while drawing: ' + e }));
			throw e;
		} finally {
			if (location.hash === '#selftest')
				setTimeout(selfTest, 50);
		}
	}

	/* a check of the page's own for #selftest: fn() returns '' or what is wrong (data-checks) */
	function check(fn) {
		checks.push(fn);
	}

	return { el: el, num: num, fmt: fmt, width: width, chart: chart, line: line, draw: draw, check: check };
})();
