/*
 * compare.js - compare.html's charts: for every compared metric, the
 * baseline's and the candidate's values as two empirical CDFs on one axis,
 * their medians marked, so a reader sees whether a verdict comes from a
 * shift of the whole distribution, a few outliers or plain noise. Data:
 * #bb-data (schema in host-runner/compare.c, html_data). Inlined after
 * uPlot and common.js; fetches nothing. The table above works without it.
 */
(function () {
	'use strict';

	var D = JSON.parse(document.getElementById('bb-data').textContent);
	var sec = document.getElementById('dist');
	var el = bb.el, fmt = bb.fmt;
	var COL = { base: '#1f77b4', cand: '#ff7f0e' };
	var VCOL = { 'no-change': '#5b6475', improvement: '#1e7b34', regression: '#b3261e', inconclusive: '#b07a00' };

	/* sorted distinct values and the fraction of values at or below each */
	function cdf(values) {
		var v = values.filter(function (x) { return x != null; }).sort(function (a, b) { return a - b; });
		var xs = [], ys = [];

		v.forEach(function (x, i) {
			if (xs.length && xs[xs.length - 1] === x)
				ys[ys.length - 1] = (i + 1) / v.length;
			else {
				xs.push(x);
				ys.push((i + 1) / v.length);
			}
		});
		return [xs, ys];
	}
	function median(values) {
		var v = values.filter(function (x) { return x != null; }).sort(function (a, b) { return a - b; });
		var h = v.length >> 1;

		return !v.length ? null : v.length % 2 ? v[h] : (v[h - 1] + v[h]) / 2;
	}
	function pct(x) {
		return x == null ? '-' : (x > 0 ? '+' : '') + fmt(100 * x, 1) + ' %';
	}
	/* the change (k '') or a CI bound (k 'ci_lo', 'ci_hi'): relative, or in the unit where the baseline is within noise of 0 */
	function change(m, k) {
		var a = m[k ? 'abs_' + k : 'abs_change'];

		if (m.change == null && a != null)
			return (a > 0 ? '+' : '') + fmt(a) + ' ' + m.unit;
		return pct(m[k || 'change']);
	}
	/* dashed vertical lines at the two medians, in their series' colours */
	function medians(m) {
		return { draw: [function (u) {
			var ctx = u.ctx, b = u.bbox;

			ctx.save();
			ctx.setLineDash([6, 4]);
			ctx.lineWidth = 1.5 * devicePixelRatio;
			[[m.base, COL.base], [m.cand, COL.cand]].forEach(function (a) {
				var x = a[0] == null ? null : u.valToPos(a[0], 'x', true);

				if (x == null || x < b.left || x > b.left + b.width)
					return;
				ctx.strokeStyle = a[1];
				ctx.beginPath();
				ctx.moveTo(x, b.top);
				ctx.lineTo(x, b.top + b.height);
				ctx.stroke();
			});
			ctx.restore();
		}] };
	}

	function metricChart(grid, m, w) {
		var a = cdf(m.base), b = cdf(m.cand);
		var mid = { base: median(m.base), cand: median(m.cand) };
		/* a curve of one or two steps (a metric that is always 0, say) needs its points to be seen */
		var few = Math.min(a[0].length, b[0].length) <= 2;
		var step = { paths: uPlot.paths.stepped({ align: 1 }), width: 2, points: { show: few, size: 8 } };
		var box;

		if (!a[0].length || !b[0].length)
			return;
		bb.chart(grid, m.title + ' (' + m.unit + ', ' + (m.higher_better ? 'higher' : 'lower') + ' is better)', {
			width: w,
			height: 220,
			scales: { x: { time: false }, y: { range: [0, 1.05] } },
			axes: [{ label: m.unit }, { label: 'fraction at or below', size: 50 }],
			series: [{ label: m.unit, value: function (u, v) { return v == null ? '' : fmt(v); } },
				bb.line('baseline (n=' + m.base.length + ')', COL.base, step),
				bb.line('candidate (n=' + m.cand.length + ')', COL.cand, step)],
			hooks: medians(mid)
		}, uPlot.join([a, b]), m.verdict + (m.gated ? '' : ' (not gated)') + ': median ' + fmt(mid.base) + ' -> ' +
			fmt(mid.cand) + ' ' + m.unit + ', change ' + change(m, '') + ' [' + change(m, 'ci_lo') + ', ' + change(m, 'ci_hi') +
			'], p ' + (m.p_value == null ? '-' : m.p_value.toPrecision(2)) + '; dashed: the medians');
		box = grid.lastChild;
		box.style.width = w + 'px';	/* the note must wrap, not widen the box */
		box.querySelector('.note').style.color = VCOL[m.verdict] || '';
	}

	bb.draw(sec, function () {
		var ms = D.metrics || [];
		var gated = ms.filter(function (m) { return m.gated; });
		var other = ms.filter(function (m) { return !m.gated; });
		var w = Math.max(480, Math.floor((bb.width() - 16) / 2));

		if (!ms.length)
			return;
		sec.appendChild(el('h2', { text: 'Distributions' }));
		sec.appendChild(el('p', { class: 'muted', text: 'Each metric\'s values on both sides as empirical CDFs ' +
			'(the fraction of transitions at or below a value). A shift of the whole curve is a real change; ' +
			'curves that cross or differ only in a tail are noise or outliers.' }));
		[[gated, 'Gated metrics'], [other, 'Reported only']].forEach(function (g) {
			var grid;

			if (!g[0].length)
				return;
			sec.appendChild(el('h3', { text: g[1] + ' (' + g[0].length + ')' }));
			grid = el('div', { class: 'grid' });
			sec.appendChild(grid);
			g[0].forEach(function (m) { metricChart(grid, m, w); });
		});
	});
})();
