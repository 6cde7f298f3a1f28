/*
 * trend.js - trend.html's charts: per series (a job's direction and metric)
 * the median of each run in time order, its 95 % confidence interval as a
 * band, and dashed lines at the change points. Data: #bb-data (schema in
 * host-runner/report/trend.c, html_data). Inlined after uPlot and common.js;
 * fetches nothing.
 */
(function () {
	'use strict';

	var D = JSON.parse(document.getElementById('bb-data').textContent);
	var sec = document.getElementById('trend');
	var el = bb.el, fmt = bb.fmt;
	var COL = { median: '#1f77b4', ci: '#9ecae1', cp: '#b3261e' };

	/* what the x axis says under run i: its label, else its date and time */
	function runName(i) {
		var r = D.runs[i];

		if (!r)
			return '';
		return r.label || (r.started_at || r.id).replace(/^\d{4}-/, '').replace('T', ' ').replace(/:\d\dZ$/, '');
	}
	function changeLines(cps) {
		return { draw: [function (u) {
			var ctx = u.ctx, b = u.bbox;

			ctx.save();
			ctx.setLineDash([6, 4]);
			ctx.lineWidth = 1.5 * devicePixelRatio;
			ctx.strokeStyle = COL.cp;
			cps.forEach(function (c) {
				/* between the run before and the run it starts */
				var x = u.valToPos(c.run - 0.5, 'x', true);

				ctx.beginPath();
				ctx.moveTo(x, b.top);
				ctx.lineTo(x, b.top + b.height);
				ctx.stroke();
			});
			ctx.restore();
		}] };
	}
	function pct(x) {
		return x == null ? '-' : (x > 0 ? '+' : '') + fmt(100 * x, 1) + ' %';
	}

	function seriesChart(grid, s, w) {
		var xs = D.runs.map(function (r, i) { return i; });
		var title = s.job + (s.label ? ' [' + s.label + ']' : '') + ' ' + s.direction + ' ' + s.metric;
		var note = s.change_points.length ? 'change points: ' + s.change_points.map(function (c) {
			return runName(c.run) + ' (' + pct(c.step) + ')';
		}).join(', ') : 'no change point';

		bb.chart(grid, title + ' (' + s.unit + ', ' + (s.higher_better ? 'higher' : 'lower') + ' is better)', {
			width: w,
			height: 240,
			scales: { x: { time: false, range: [-0.5, Math.max(0.5, xs.length - 0.5)] } },
			axes: [{ incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500], space: 90,
				values: function (u, splits) {
					return splits.map(function (v) { return Number.isInteger(v) ? runName(v) : ''; });
				} },
				{ label: s.unit, size: 60 }],
			series: [{ label: 'run', value: function (u, v) { return v == null ? '' : runName(v); } },
				bb.line('median', COL.median, { width: 2, points: { show: true, size: 6 } }),
				bb.line('95 % CI low', COL.ci, { width: 1 }),
				bb.line('95 % CI high', COL.ci, { width: 1 })],
			bands: [{ series: [3, 2], fill: 'rgba(31,119,180,0.15)' }],
			hooks: changeLines(s.change_points)
		}, [xs, s.median, s.ci_lo, s.ci_hi], note + '; n per run: ' + s.n.join(' '));
		grid.lastChild.style.width = w + 'px';
	}

	bb.draw(sec, function () {
		var w = Math.max(480, Math.floor((bb.width() - 16) / 2));
		var grid = el('div', { class: 'grid' });

		sec.appendChild(grid);
		(D.series || []).forEach(function (s) { seriesChart(grid, s, w); });
		sec.appendChild(el('h2', { text: 'Runs' }));
		var ol = el('ol', { start: '0' });

		sec.appendChild(ol);
		D.runs.forEach(function (r) {
			ol.appendChild(el('li', { text: r.id + (r.label ? ' (' + r.label + ')' : '') + ', ' + r.started_at + ': ' + r.dir }));
		});
	});
})();
