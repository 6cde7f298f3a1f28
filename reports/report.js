/*
 * report.js - balloonbench's report page: charts (uPlot) and tables drawn
 * from the JSON that `balloonbench report` embeds (#bb-data, schema in
 * host-runner/report.c). Inlined into report.html after uPlot and
 * common.js (bb: helpers, charts, #selftest); fetches nothing.
 */
(function () {
	'use strict';

	var D = JSON.parse(document.getElementById('bb-data').textContent);
	var app = document.getElementById('app');
	var el = bb.el, num = bb.num, fmt = bb.fmt, chart = bb.chart, line = bb.line;
	var COL = {
		target: '#4a4a4a', guest: '#1f77b4', host: '#ff7f0e', oom: '#d62728', rss: '#2ca02c', avail: '#9467bd',
		inflate: '#e6550d', deflate: '#3182bd', fault: '#2ca02c', slow: '#9467bd',
		p50: '#1f77b4', p90: '#2ca02c', p99: '#ff7f0e', p999: '#d62728'
	};
	var PHASES = ['steady', 'inflating', 'deflating'];
	var PHASE_COL = { steady: '#2ca02c', inflating: '#e6550d', deflating: '#3182bd', final: '#8c564b' };
	var NODE_COL = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22'];

	/* ---- small helpers ---- */
	function table(t) {	/* {columns, rows} -> map of name -> index */
		var m = {};
		if (t && t.columns)
			t.columns.forEach(function (c, i) { m[c] = i; });
		return m;
	}
	/* a column name as a person reads it: "t100_ms" -> "t100 (ms)" */
	function header(c) {
		var units = [['_mib_s', ' (MiB/s)'], ['_mib', ' (MiB)'], ['_ms', ' (ms)'], ['_us', ' (µs)'],
			['_ns', ' (ns)'], ['_kib', ' (KiB)'], ['_s', ' (s)'], ['_pct', ' (%)'], ['_hz', ' (Hz)']];
		for (var i = 0; i < units.length; i++)
			if (c.length > units[i][0].length && c.slice(-units[i][0].length) === units[i][0])
				return c.slice(0, -units[i][0].length).replace(/_/g, ' ') + units[i][1];
		return c.replace(/_/g, ' ');
	}

	/* ---- charts ---- */
	function dots(label, color) {
		return { label: label, stroke: color, fill: color, paths: function () { return null; },
			points: { show: true, size: 7, stroke: color, fill: color } };
	}
	function xRange(lo, hi) {
		return function () { return [lo, hi > lo ? hi : lo + 1]; };
	}
	/* shade the transitions, mark OOM kills: [{t0, t1, dir}], [t] */
	function overlays(intervals, ooms) {
		return {
			drawClear: [function (u) {
				var ctx = u.ctx, b = u.bbox;
				ctx.save();
				intervals.forEach(function (iv) {
					var x0 = Math.max(b.left, u.valToPos(iv.t0, 'x', true));
					var x1 = Math.min(b.left + b.width, u.valToPos(iv.t1, 'x', true));
					if (x1 < x0)
						return;
					ctx.fillStyle = iv.dir > 0 ? 'rgba(230,85,13,0.10)' : 'rgba(49,130,189,0.10)';
					ctx.fillRect(x0, b.top, Math.max(1, x1 - x0), b.height);
				});
				ctx.restore();
			}],
			draw: [function (u) {
				var ctx = u.ctx, b = u.bbox;
				ctx.save();
				ctx.strokeStyle = COL.oom;
				ctx.fillStyle = COL.oom;
				ctx.lineWidth = 2;
				ctx.setLineDash([6, 4]);
				ctx.font = 'bold ' + Math.round(11 * devicePixelRatio) + 'px sans-serif';
				ooms.forEach(function (t) {
					var x = u.valToPos(t, 'x', true);
					if (x < b.left || x > b.left + b.width)
						return;
					ctx.beginPath();
					ctx.moveTo(x, b.top);
					ctx.lineTo(x, b.top + b.height);
					ctx.stroke();
					ctx.fillText('OOM', x + 3, b.top + 12 * devicePixelRatio);
				});
				ctx.restore();
			}]
		};
	}

	/* ---- the run's tables ---- */
	var T = D.transitions || { columns: [], rows: [] };
	var TC = table(T);
	var E = D.events || { columns: [], rows: [] };
	var EC = table(E);
	/* by time, stable (rows of one time as they came); a time that is no number last */
	E.rows = E.rows.map(function (r, i) { return [num(r[EC.t_s]), i, r]; }).sort(function (a, b) {
		if ((a[0] == null) !== (b[0] == null))
			return a[0] == null ? 1 : -1;
		return a[0] !== b[0] && a[0] != null ? a[0] - b[0] : a[1] - b[1];
	}).map(function (x) { return x[2]; });
	var S = D.summary || { columns: [], rows: [] };
	var SC = table(S);
	var run = D.run || {};

	function vmTransitions(name) {
		return T.rows.filter(function (r) { return r[TC.vm] === name; });
	}
	function vmOoms(name) {
		return E.rows.filter(function (r) { return r[EC.vm] === name && r[EC.event] === 'oom-kill'; })
			.map(function (r) { return num(r[EC.t_s]); });
	}

	/* ---- a run of several jobs: the comparison it answers, first ---- */
	/* the jobs: scenario order, one per job and label (a fleet's job@label), else as transitions.csv has them */
	var JOBS = (function () {
		var out = [], seen = {};
		var add = function (name, label, j) {
			var k = name + '\u0000' + (label || '');
			if (name == null || seen[k])
				return;
			seen[k] = 1;
			out.push({ name: name, label: label || '', opts: j || {} });
		};
		((run.scenario || {}).jobs || []).forEach(function (j) { add(j.name, j.label, j); });
		T.rows.forEach(function (r) { add(r[TC.job], TC.label != null ? r[TC.label] : ''); });
		return out;
	})();
	function jobName(j) {
		return j.name + (j.label ? ' [' + j.label + ']' : '');
	}
	function sameJob(j, job, label) {
		return j.name === job && j.label === (label || '');
	}
	function median(v) {
		v = v.slice().sort(function (a, b) { return a - b; });
		var n = v.length;
		return !n ? NaN : n % 2 ? v[(n - 1) / 2] : 0.5 * v[n / 2 - 1] + 0.5 * v[n / 2];
	}
	function g3(v) {	/* printf's %.3g */
		var e = Math.floor(Math.log10(Math.abs(v)));
		if (v === 0 || (e >= -4 && e < 3))
			return String(Number(v.toPrecision(3)));
		return Number(v.toExponential(2)).toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
	}
	function sized(s) {	/* a size option ("512M", "0") is set */
		return s != null && s !== '' && parseFloat(s) > 0;
	}
	function vmRows(name) {
		return T.rows.filter(function (r) { return r[TC.vm] === name; });
	}
	/* the measured guests (run.json's vms[], warm-up left out) and their job's options */
	function measured() {
		return (run.vms || []).filter(function (v) { return !v.warmup; }).map(function (v) {
			var rows = vmRows(v.name), j = JOBS.filter(function (x) { return x.name === v.job && (!rows.length ||
				TC.label == null || x.label === rows[0][TC.label]); })[0] || { opts: {} };
			return { vm: v, rows: rows, job: j, mech: (rows[0] && TC.mechanism != null && rows[0][TC.mechanism]) || j.opts.mechanism || 'balloon' };
		});
	}
	function hostMibS(r) {	/* engine/reclaim.c hr_trow_host_mib_s: where the host got back a tenth of the move */
		var ret = num(r[TC.host_returned_mib]), settle = num(r[TC.host_rss_settle_ms]), moved = num(r[TC.moved_mib]);
		return ret != null && settle != null && moved != null && ret > 0.1 * Math.abs(moved) && settle > 0 ? ret / (settle / 1e3) : NaN;
	}
	function mfmt(v) {	/* the terminal's: "-", %.0f from 100 up, else %.2f */
		return isNaN(v) ? '-' : v >= 100 ? v.toFixed(0) : v.toFixed(2);
	}

	/* engine/mechtable.c's table, the same figures from the files: two mechanisms, their ratio */
	function mechTable() {
		var FIG = ['shrink, untouched', 'shrink, touched', 'grow', 'refault'];
		var MET = ['t100 ms', 'rate MiB/s', 'control ms', 'host MiB/s'];
		var gs = measured().filter(function (g) { return g.rows.length; }), used = [], t = {};
		gs.forEach(function (g) { if (used.indexOf(g.mech) < 0) used.push(g.mech); });
		if (used.length < 2)
			return null;
		var order = ['balloon', 'virtio-mem'].filter(function (m) { return used.indexOf(m) >= 0; })
			.concat(used.filter(function (m) { return m !== 'balloon' && m !== 'virtio-mem'; }));
		var a = order[0], b = order[1];
		order.forEach(function (m) { t[m] = FIG.map(function () { return MET.map(function () { return []; }); }); });
		var add = function (c, x) { if (x != null && !isNaN(x) && x >= 0) c.push(x); };
		gs.forEach(function (g) {
			var m = t[g.mech], first = true;
			g.rows.forEach(function (r) {
				var d = r[TC.direction];
				if (r[TC.end_reason] !== 'reached' || (d !== 'inflate' && d !== 'deflate'))
					return;
				var f = d === 'deflate' ? 2 : first && sized(g.job.opts.prefill) ? 1 : 0;
				if (d === 'inflate')
					first = false;
				var rate = num(r[TC.mean_rate_mib_s]);
				add(m[f][0], num(r[TC.t100_ms]));
				add(m[f][1], rate == null ? NaN : Math.abs(rate));
				add(m[f][2], num(r[TC.control_latency_ms]));
				if (d === 'inflate')
					add(m[f][3], hostMibS(r));
			});
			if (g.vm.refill && g.vm.refill.rate_gib_s != null)
				add(m[3][1], g.vm.refill.rate_gib_s * 1024);
		});
		var rows = [];
		FIG.forEach(function (fig, f) {
			MET.forEach(function (met, k) {
				var x = t[a][f][k], y = t[b][f][k], mx = median(x), my = median(y), ratio = my / mx, sr = '-', fast = '';
				if (!x.length && !y.length)
					return;
				if (isFinite(ratio) && ratio > 0) {
					var rate = k === 1 || k === 3, bfast = rate ? ratio > 1 : ratio < 1;
					sr = g3(ratio);
					fast = (bfast ? b : a) + ' ' + g3(rate === bfast ? ratio : 1 / ratio) + 'x';
				}
				rows.push([fig, met, String(x.length), mfmt(mx), String(y.length), mfmt(my), sr, fast]);
			});
		});
		return { title: a + ' vs ' + b + ' (medians of reached transitions; ratio = ' + b + ' / ' + a + ')',
			columns: ['figure', 'metric', 'n', a, 'n ', b, 'ratio', 'faster'], rows: rows };
	}

	/* engine/reclaim.c's table: virtio-balloon's reclaim figures, where a job has prefill= or refill= */
	function reclaimTable() {
		var gs = measured(), v = [[], [], [], []], host = [[], [], [], []], frees = [];
		var any = JOBS.some(function (j) { return sized(j.opts.prefill) || sized(j.opts.refill); });
		if (!any)
			return null;
		var add = function (c, x) { if (x != null && !isNaN(x) && x > 0) c.push(x); };
		gs.forEach(function (g) {
			var fig = sized(g.job.opts.prefill) ? 1 : 0, seen = false;
			if (g.mech !== 'balloon')
				return;	/* virtio-mem: the mechanisms' table */
			g.rows.forEach(function (r) {
				var rate = num(r[TC.mean_rate_mib_s]);
				rate = rate == null ? NaN : Math.abs(rate) / 1024;
				if (r[TC.end_reason] !== 'reached')
					return;
				if (r[TC.direction] === 'inflate' && !seen) {
					seen = true;
					add(v[fig], rate);
					add(host[fig], hostMibS(r) / 1024);
				} else if (r[TC.direction] === 'deflate') {
					add(v[2], rate);
				}
			});
			if (g.vm.refill && g.vm.refill.rate_gib_s != null)
				add(v[3], g.vm.refill.rate_gib_s);
		});
		(run.vms || []).forEach(function (vm) {
			var p = vm.prefill, j = JOBS.filter(function (x) { return x.name === vm.job; })[0] || { opts: {} };
			if (!p)
				return;
			var drop = p.rss_drop_after_free_mib, delay = p.rss_drop_delay_ms;
			frees.push(vm.name + ': prefill ' + (p.mib || 0).toFixed(0) + ' MiB at ' + (p.rate_gib_s || 0).toFixed(3) +
				' GiB/s; after the free QEMU\'s RSS fell ' + (drop == null ? 0 : drop).toFixed(0) + ' MiB' +
				(delay != null && drop > 1 ? ' within ' + delay.toFixed(0) + ' ms' : '') +
				' (free-page-reporting=' + (/^(1|on|yes|true)$/.test(j.opts['free-page-reporting'] || '') ? 'on' : 'off') + ')');
		});
		var base = median(v[0]);
		return { title: 'virtio-balloon reclaim (medians of the measured guests; GiB/s)',
			columns: ['figure', 'guest GiB/s', 'n', 'host GiB/s', 'x reclaim untouched'],
			rows: ['reclaim, untouched', 'reclaim, touched', 'return', 'refault'].map(function (name, i) {
				var m = median(v[i]), h = median(host[i]);
				return [name, isNaN(m) ? '-' : m.toFixed(3), String(v[i].length), isNaN(h) ? '-' : h.toFixed(3),
					!isNaN(m) && base > 0 ? (m / base).toFixed(2) : '-'];
			}), frees: frees };
	}
	function textTable(t) {
		var wrap = el('div', { class: 'scroll fit' }), tb = el('table', { class: 'figs' }), tr = el('tr');
		t.columns.forEach(function (c, i) { tr.appendChild(el('th', { class: i < 2 && t.columns[0] === 'figure' && i < (t.columns.length > 5 ? 2 : 1) ? 's' : '', text: c.trim() })); });
		tb.appendChild(el('thead', null, tr));
		var body = el('tbody');
		t.rows.forEach(function (r) {
			var row = el('tr');
			r.forEach(function (v, i) { row.appendChild(el('td', { class: i < (t.columns.length > 5 ? 2 : 1) || i === 7 ? 's' : '', text: v })); });
			body.appendChild(row);
		});
		tb.appendChild(body);
		wrap.appendChild(tb);
		return wrap;
	}

	/* summary.csv's "all" row of a job, direction and metric */
	function sumRow(j, dir, metric) {
		return S.rows.filter(function (r) {
			return r[SC.vm] === 'all' && sameJob(j, r[SC.job], SC.label != null ? r[SC.label] : '') &&
				r[SC.direction] === dir && r[SC.metric] === metric;
		})[0];
	}
	/* one row per job: the medians of summary.csv (warm-up out, 95 % CI), the best of each column in bold */
	function jobsTable() {
		var METRICS = [['mean_rate_mib_s', 'mean rate (MiB/s)'], ['t100_ms', 't100 (ms)'], ['control_latency_ms', 'control (ms)']];
		var DIRS = [['inflate', 'inflate (shrink)'], ['deflate', 'deflate (grow)']];
		var cols = [];
		DIRS.forEach(function (d) {
			METRICS.forEach(function (m) {
				if (JOBS.some(function (j) { return sumRow(j, d[0], m[0]); }))
					cols.push({ dir: d[0], dname: d[1], metric: m[0], mname: m[1] });
			});
		});
		var best = cols.map(function (c) {
			var v = JOBS.map(function (j) { var r = sumRow(j, c.dir, c.metric); return r ? num(r[SC.median]) : null; })
				.filter(function (x) { return x != null; });
			if (v.length < 2)
				return null;
			var r0 = JOBS.map(function (j) { return sumRow(j, c.dir, c.metric); }).filter(Boolean)[0];
			return (r0[SC.better] === 'lower' ? Math.min : Math.max).apply(null, v);
		});
		var wrap = el('div', { class: 'scroll fit' }), tb = el('table', { class: 'jobs' });
		var h1 = el('tr', null, el('th', { class: 's', rowspan: '2', text: 'job' }), el('th', { class: 's', rowspan: '2', text: 'mechanism' }),
			el('th', { rowspan: '2', text: 'guests' }));
		var h2 = el('tr');
		DIRS.forEach(function (d) {
			var n = cols.filter(function (c) { return c.dir === d[0]; }).length;
			if (n)
				h1.appendChild(el('th', { class: 'grp', colspan: String(n), text: d[1] + ', median [95% CI] (n)' }));
		});
		cols.forEach(function (c) { h2.appendChild(el('th', { text: c.mname })); });
		tb.appendChild(el('thead', null, h1, h2));
		var body = el('tbody');
		JOBS.forEach(function (j) {
			var vms = (run.vms || []).filter(function (v) { return v.job === j.name && !v.warmup &&
				(!v.label || v.label === j.label); });
			var row = el('tr', { 'data-job': jobName(j) }, el('td', { class: 's', text: jobName(j) }),
				el('td', { class: 's', text: j.opts.mechanism || (TC.mechanism != null && (T.rows.filter(function (r) {
					return sameJob(j, r[TC.job], TC.label != null ? r[TC.label] : ''); })[0] || [])[TC.mechanism]) || '' }),
				el('td', { text: String(vms.length) }));
			if (j.opts.skipped) {
				row.appendChild(el('td', { class: 's bad', colspan: String(cols.length || 1), text: 'skipped: ' + j.opts.skipped }));
			} else {
				cols.forEach(function (c, i) {
					var r = sumRow(j, c.dir, c.metric), m = r ? num(r[SC.median]) : null;
					var td = el('td', { class: m != null && m === best[i] ? 'best' : '' });
					if (r) {
						td.appendChild(el('b', { text: fmt(r[SC.median]) }));
						td.appendChild(el('span', { class: 'ci', text: '[' + fmt(r[SC.ci_lo]) + ', ' + fmt(r[SC.ci_hi]) + '] (' + r[SC.n] + ')' }));
					} else {
						td.textContent = '-';
					}
					row.appendChild(td);
				});
			}
			body.appendChild(row);
		});
		tb.appendChild(body);
		wrap.appendChild(tb);
		return wrap;
	}
	/* one chart per metric, a group per job on the same (log) y axis: every measured move and the median */
	function jobsCharts(sec) {
		var x = JOBS.map(function (_, i) { return i; });
		[['mean_rate_mib_s', 'Mean rate of each measured move, by job (MiB/s, log scale)', 'MiB/s'],
			['t100_ms', 'Time to 100 % of each measured move, by job (ms, log scale)', 'ms']].forEach(function (m) {
			if (TC[m[0]] == null)
				return;
			var tables = [], series = [{ label: 'job' }];
			[['inflate', -0.14, COL.inflate, '#7f2704'], ['deflate', 0.14, COL.deflate, '#08306b']].forEach(function (d) {
				var px = [], py = [], mx = [], my = [];
				JOBS.forEach(function (j, ji) {
					var v = T.rows.filter(function (r) {
						return r[TC.warmup] !== '1' && r[TC.direction] === d[0] && sameJob(j, r[TC.job], TC.label != null ? r[TC.label] : '');
					}).map(function (r) { var a = num(r[TC[m[0]]]); return a == null ? null : Math.abs(a); })
						.filter(function (a) { return a != null && a > 0; });
					v.forEach(function (a, i) {
						px.push(ji + d[1] + ((i % 7) - 3) * 0.015);
						py.push(a);
					});
					if (v.length) {
						mx.push(ji + d[1]);
						my.push(median(v));
					}
				});
				if (!px.length)
					return;
				tables.push([px, py], [mx, my]);
				series.push(dots(d[0] + ' (each move)', d[2]));
				var med = dots(d[0] + ' median', d[3]);
				med.points = { show: true, size: 14, stroke: d[3], fill: '#fff', width: 3 };
				series.push(med);
			});
			if (!tables.length)
				return;
			/* uPlot.join wants each table's x in order */
			tables = tables.map(function (t) {
				var idx = t[0].map(function (_, i) { return i; }).sort(function (a, b) { return t[0][a] - t[0][b]; });
				return [idx.map(function (i) { return t[0][i]; }), idx.map(function (i) { return t[1][i]; })];
			});
			chart(sec, m[1], {
				height: 300,
				scales: { x: { time: false, range: [-0.5, JOBS.length - 0.5] }, y: { distr: 3 } },
				axes: [{ label: 'job', splits: function () { return x; },
					values: function (u, splits) { return splits.map(function (i) { return JOBS[i] ? jobName(JOBS[i]) : ''; }); } },
					{ label: m[2], size: 70 }],
				series: series
			}, uPlot.join(tables), 'warm-up repetitions left out; the same y axis for every job: small dots each move, rings the median');
		});
	}
	function comparisonSection() {
		var sec = el('section', { id: 'comparison', 'data-jobs': String(JOBS.length) });
		var mt = mechTable(), rt = reclaimTable();
		sec.appendChild(el('h2', { text: 'The comparison: ' + JOBS.map(jobName).join(' vs ') }));
		app.appendChild(sec);
		if (mt) {
			sec.appendChild(el('h3', { text: mt.title }));
			sec.appendChild(textTable(mt));
			sec.appendChild(el('p', { class: 'muted', text: 'The table `run` prints at the end, from transitions.csv and run.json: ' +
				'medians over the measured guests\' reached transitions (t100, the guest\'s mean rate, the control latency; for the shrinks ' +
				'the host\'s rate, where QEMU\'s RSS returned a tenth of the move or more); refault from refill=. A ratio above 1 for a rate, ' +
				'below 1 for a time, means ' + mt.columns[5] + ' was faster.' }));
		}
		if (rt) {
			sec.appendChild(el('h3', { text: rt.title }));
			sec.appendChild(textTable(rt));
			if (rt.frees.length)
				sec.appendChild(el('ul', { class: 'muted frees' }, null));
			rt.frees.forEach(function (f) { sec.lastChild.appendChild(el('li', { text: f })); });
		}
		sec.appendChild(el('h3', { text: 'Jobs side by side' }));
		sec.appendChild(jobsTable());
		sec.appendChild(el('p', { class: 'muted', text: 'From summary.csv (all guests of a job, warm-up left out): the best of each column in bold.' }));
		jobsCharts(sec);
	}
	/* #selftest: a run of several jobs leads with the comparison, one entry per job; a single job's page has none */
	bb.check(function () {
		var comp = document.getElementById('comparison');
		if (JOBS.length < 2)
			return comp ? 'a single job\'s page has a comparison block' : '';
		if (!comp)
			return 'no comparison block (' + JOBS.length + ' jobs)';
		if (app.querySelector('section') !== comp || (document.querySelector('.keyfig') &&
		    !(comp.compareDocumentPosition(document.querySelector('.keyfig')) & Node.DOCUMENT_POSITION_FOLLOWING)))
			return 'the comparison block is not first';
		var n = comp.querySelectorAll('tr[data-job]').length;
		return n === JOBS.length ? '' : 'the comparison block has ' + n + ' job entries for ' + JOBS.length + ' jobs';
	});

	/* ---- page ---- */
	function headerSection() {
		var sc = run.scenario || {};
		var h = el('header');
		var toc = el('nav', { class: 'toc' });

		h.appendChild(el('h1', { text: 'balloonbench: ' + (sc.file || 'run') }));
		h.appendChild(el('p', { class: 'sub', text: 'run ' + (run.run_id || '?') + ', started ' +
			(run.started_at || '?') + ', ' + (D.vms || []).length + ' guest(s), ' + T.rows.length +
			' transition(s); report by ' + D.generator + ' at ' + D.generated_at }));
		if (run.status !== 'complete')
			h.appendChild(el('div', { class: 'banner bad', text: 'This run is ' + (run.status || 'unknown').toUpperCase() +
				(run.incomplete_reason ? ': ' + run.incomplete_reason : '') +
				'. Everything it recorded is shown; statistics cover what finished.' }));
		if ((run.failed_guests || []).length)
			h.appendChild(el('div', { class: 'banner bad', text: 'Failed guest(s), their transitions shown but left out of ' +
				'the statistics: ' + run.failed_guests.join(', ') +
				(run.completed_guests ? '; ' + run.completed_guests.length + ' guest(s) completed their schedule.' : '') }));
		(sc.jobs || []).forEach(function (j) {
			if (j.skipped)
				h.appendChild(el('div', { class: 'banner bad', text: 'job ' + j.name + ' skipped: ' + j.skipped }));
		});
		if (JOBS.length < 2)
			h.appendChild(keyFigures());
		(JOBS.length < 2 ? [] : [['#comparison', 'comparison']]).concat([['#summary', 'summary'], ['#rates', 'rates per transition'], ['#guests', 'guests'],
			['#transitions', 'transitions'], ['#meta', 'run metadata'], ['#events', 'events']]).forEach(function (a) {
			toc.appendChild(el('a', { href: a[0], text: a[1] }));
		});
		h.appendChild(toc);
		app.appendChild(h);
	}
	function keyFigures() {
		var box = el('div', { class: 'keyfigs' });
		S.rows.forEach(function (r) {
			if (r[SC.vm] !== 'all' || (r[SC.metric] !== 'mean_rate_mib_s' && r[SC.metric] !== 't100_ms'))
				return;
			box.appendChild(el('div', { class: 'keyfig' },
				el('span', { text: r[SC.job] + (r[SC.label] ? ' [' + r[SC.label] + ']' : '') + ': ' + r[SC.direction] + ' ' + header(r[SC.metric]) }),
				el('b', { text: fmt(r[SC.median]) + ' ' + r[SC.unit] }),
				el('span', { text: 'median of ' + r[SC.n] + ', 95% CI [' + fmt(r[SC.ci_lo]) + ', ' + fmt(r[SC.ci_hi]) + ']' })));
		});
		return box;
	}

	function summarySection() {
		var sec = el('section', { id: 'summary' });
		sec.appendChild(el('h2', { text: 'Summary across repetitions' }));
		if (JOBS.length > 1) {	/* the key figures per job, under the comparison */
			var kf = keyFigures(), d = el('details');
			d.appendChild(el('summary', { text: 'key figures per job and direction (' + kf.childNodes.length + ')' }));
			d.appendChild(kf);
			sec.appendChild(d);
		}
		sec.appendChild(el('p', { class: 'muted', text: 'summary.csv: per job, guest (v0, v1, ... or all) and direction; warm-up runs excluded. ' +
			'The confidence interval of the median is distribution-free (order statistics); below 6 values it is the min-max range.' }));
		if (!S.rows.length)
			sec.appendChild(el('p', { text: 'No transition finished, so there are no statistics.' }));
		else
			sec.appendChild(htmlTable(S, ['job', 'label', 'vm', 'direction', 'metric', 'unit', 'better', 'n', 'median',
				'ci_lo', 'ci_hi', 'mean', 'stddev', 'min', 'max'], 400));
		app.appendChild(sec);
	}

	function htmlTable(t, cols, maxRows, cellClass) {
		var m = table(t), wrap = el('div', { class: 'scroll' }), tb = el('table'), tr = el('tr');
		cols = cols.filter(function (c) { return m[c] != null; });
		cols.forEach(function (c) { tr.appendChild(el('th', { class: isText(t, m[c]) ? 's' : '', text: header(c) })); });
		tb.appendChild(el('thead', null, tr));
		var body = el('tbody');
		t.rows.slice(0, maxRows || t.rows.length).forEach(function (r) {
			var row = el('tr');
			cols.forEach(function (c) {
				var v = r[m[c]], text = isText(t, m[c]) ? v : fmt(v);
				var cls = isText(t, m[c]) ? 's' : '';
				if (cellClass)
					cls += ' ' + (cellClass(c, v, r, m) || '');
				row.appendChild(el('td', { class: cls, text: text }));
			});
			body.appendChild(row);
		});
		tb.appendChild(body);
		wrap.appendChild(tb);
		if (maxRows && t.rows.length > maxRows)
			wrap.appendChild(el('p', { class: 'muted', text: 'first ' + maxRows + ' of ' + t.rows.length + ' rows; the CSV file has all' }));
		return wrap;
	}
	function isText(t, i) {
		for (var k = 0; k < t.rows.length && k < 50; k++)
			if (t.rows[k][i] !== '' && num(t.rows[k][i]) == null)
				return true;
		return false;
	}

	function ratesSection() {
		var sec = el('section', { id: 'rates' });
		var jobs = [];
		sec.appendChild(el('h2', { text: 'Inflate and deflate rate per transition' }));
		app.appendChild(sec);
		if (!T.rows.length) {
			sec.appendChild(el('p', { text: 'No transitions recorded.' }));
			return;
		}
		T.rows.forEach(function (r) { if (jobs.indexOf(r[TC.job]) < 0) jobs.push(r[TC.job]); });
		jobs.forEach(function (job) {
			var rows = T.rows.filter(function (r) { return r[TC.job] === job; });
			var x = [], inf = [], def = [], cdf = { inflate: [], deflate: [] };
			rows.forEach(function (r, i) {
				var v = num(r[TC.mean_rate_mib_s]), d = r[TC.direction];
				x.push(i);
				inf.push(d === 'inflate' ? v : null);
				def.push(d === 'deflate' ? v : null);
				if (v != null && r[TC.warmup] !== '1' && cdf[d])
					cdf[d].push(v);
			});
			chart(sec, job + ': mean rate of each transition (MiB/s)', {
				scales: { x: { time: false } },
				axes: [{ label: 'transition (in the order recorded, all guests and repetitions)', incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000] },
					{ label: 'MiB/s', size: 60 }],
				series: [{ label: 'transition' }, dots('inflate', COL.inflate), dots('deflate', COL.deflate)]
			}, [x, inf, def], 'warm-up repetitions are included here and marked in the transitions table; the statistics leave them out');
			/* distribution across repetitions: empirical CDF per direction */
			var tables = [], series = [{ label: 'MiB/s' }];
			['inflate', 'deflate'].forEach(function (d) {
				var v = cdf[d].slice().sort(function (a, b) { return a - b; });
				if (!v.length)
					return;
				tables.push([v, v.map(function (_, i) { return (i + 1) / v.length; })]);
				series.push(line(d + ' (n=' + v.length + ')', COL[d], { paths: uPlot.paths.stepped({ align: 1 }) }));
			});
			if (tables.length)
				chart(sec, job + ': distribution of the mean rate across transitions and repetitions', {
					scales: { x: { time: false } },
					axes: [{ label: 'mean rate (MiB/s)' }, { label: 'fraction of transitions' }],
					series: series
				}, uPlot.join(tables));
		});
	}

	/*
	 * A run of policy jobs (issue 24): the host budget's usage and swap over
	 * time, and per guest index the demand workload's working set (its trace,
	 * vms[].demand), the policy's target and the balloon's actual, every job
	 * and repetition (policy) in one chart: the same x, seconds from each
	 * job's start line (where its guests' workloads were told GO and the
	 * policy's run phase began; its bring-up before 0), and every chart of
	 * the section the same x range, every guest's chart the same y range.
	 */
	var JOB_COL = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf'];
	var policyCharts = [];	/* {kind: 'budget' | 'guest', name, plot, want: [series labels]} for #selftest */
	function policySection() {
		var B = D.budget, P = D.decisions;
		if (!B || !B.rows || !B.rows.length)
			return;
		var BC = table(B), PC = P && P.rows ? table(P) : null;
		/* keys: the jobs with a budget (kind=budget rows); all: every policy job, the
		 * baseline's (no budget: kind=qemu rows only) too, for the guests' targets */
		var keys = [], all = [], first = {}, sec = el('section', { id: 'policies' });
		var key = function (job, rep) { return job + (rep != null && String(rep) !== '0' ? ' r' + rep : ''); };
		B.rows.forEach(function (r) {
			var k = key(r[BC.job], r[BC.rep]), t = num(r[BC.t_s]);
			if (r[BC.kind] === 'budget' && keys.indexOf(k) < 0)
				keys.push(k);
			if (all.indexOf(k) < 0)
				all.push(k);
			if (t != null && (first[k] == null || t < first[k]))
				first[k] = t;
		});
		if (!keys.length)
			return;
		/* each job repetition's start line on the run's clock: its guests' demand trace's
		 * (run.json + events.csv), else a workload-go event of one of its guests (t - since_ms),
		 * else its first decision of the run phase, else its budget's first sample */
		var t0 = {}, how = {}, vmKey = {};
		(D.vms || []).forEach(function (v) {
			var k = key(v.job, v.rep);
			vmKey[v.name] = k;
			if (t0[k] == null && v.demand && v.demand.start_line_s != null)
				t0[k] = v.demand.start_line_s, how[k] = 'go';
		});
		E.rows.forEach(function (r) {
			var k = vmKey[r[EC.vm]], m = /since_ms=([0-9.]+)/.exec(r[EC.detail] || '');
			if (k && t0[k] == null && r[EC.event] === 'workload-go' && m && num(r[EC.t_s]) != null)
				t0[k] = num(r[EC.t_s]) - Number(m[1]) / 1000, how[k] = 'go';
		});
		if (PC)
			P.rows.forEach(function (r) {
				var k = key(r[PC.job], r[PC.rep]), t = num(r[PC.t_s]);
				if (t0[k] == null && r[PC.phase] === 'run' && t != null)
					t0[k] = t, how[k] = 'decision';
			});
		all.forEach(function (k) {
			if (t0[k] == null)
				t0[k] = first[k], how[k] = 'budget';
		});
		var guessed = all.filter(function (k) { return how[k] !== 'go'; });
		var xlabel = 's from the job\'s start line' + (guessed.length ? ' (' + guessed.join(', ') +
			': its first decision past it, or its budget\'s creation, where the line is not recorded)' : '');
		sec.appendChild(el('h2', { text: 'Policies: the host budget and the guests, ' + keys.join(' vs ') }));
		app.appendChild(sec);
		var color = function (i) { return JOB_COL[i % JOB_COL.length]; };
		/* the charts' data first, then one x range for all of them, one y range for the guests' */
		var xlo = Infinity, xhi = -Infinity, glo = 0, ghi = -Infinity;
		var span = function (x) {
			x.forEach(function (v) {
				if (v != null && isFinite(v)) {
					xlo = Math.min(xlo, v);
					xhi = Math.max(xhi, v);
				}
			});
		};
		var budgetData = function (col, withLimit) {
			var tables = [], series = [{ label: xlabel }], limit = null;
			keys.forEach(function (k) {
				var x = [], y = [];
				B.rows.forEach(function (r) {
					var v = num(r[BC[col]]);
					if (r[BC.kind] !== 'budget' || key(r[BC.job], r[BC.rep]) !== k || v == null)
						return;
					x.push(num(r[BC.t_s]) - t0[k]);
					y.push(v);
					if (withLimit && num(r[BC.limit_mib]) != null)
						limit = num(r[BC.limit_mib]);
				});
				if (x.length) {
					span(x);
					tables.push([x, y]);
					series.push(line(k, color(all.indexOf(k))));
				}
			});
			return { tables: tables, series: series, limit: withLimit ? limit : null };
		};
		var budgets = [['usage_mib', 'Host budget: what its cgroup holds, every job', 'MiB', true],
			['swap_mib', 'Host budget: swap its QEMUs hold, every job', 'MiB', false]].map(function (b) {
			return { d: budgetData(b[0], b[3]), title: b[1], unit: b[2] };
		});
		/* per guest index (NAME-vN): each job's demand (its trace), target (its decisions) and actual */
		var idx = [], guests = [];
		if (PC)
			P.rows.forEach(function (r) {
				var m = /-v(\d+)$/.exec(r[PC.vm] || '');
				if (m && idx.indexOf(m[1]) < 0)
					idx.push(m[1]);
			});
		idx.sort(function (a, b) { return a - b; }).forEach(function (n) {
			var tables = [], series = [{ label: xlabel }], want = [], hasDemand = false;
			all.forEach(function (k, i) {
				var x = [], tg = [], ac = [], nominal = null;
				P.rows.forEach(function (r) {
					if (key(r[PC.job], r[PC.rep]) !== k || !new RegExp('-v' + n + '$').test(r[PC.vm]))
						return;
					x.push(num(r[PC.t_s]) - t0[k]);
					tg.push(num(r[PC.target_mib]));
					ac.push(num(r[PC.actual_mib]));
					if (num(r[PC.nominal_mib]) != null)
						nominal = num(r[PC.nominal_mib]);
				});
				var v = (D.vms || []).filter(function (g) {
					return key(g.job, g.rep) === k && String(g.vm_index) === n && g.demand;
				})[0];
				/* a demand guest of this job (run.json) must have its trace drawn: #selftest */
				var isDemand = (run.vms || []).some(function (g) {
					return key(g.job, g.rep) === k && String(g.vm_index) === n && g.workload && g.workload.name === 'demand';
				});
				if (isDemand)
					want.push(k + ' demand');
				if (!x.length && !v)
					return;
				if (x.length) {
					span(x);
					tables.push([x, tg], [x, ac]);
					series.push(line(k + ' target', color(i), { dash: [6, 4], paths: uPlot.paths.stepped({ align: 1 }) }),
						line(k + ' actual', color(i)));
					want.push(k + ' target', k + ' actual');
					[tg, ac, [nominal]].forEach(function (ys) {
						ys.forEach(function (y) { if (y != null) ghi = Math.max(ghi, y); });
					});
				}
				if (v) {
					var dx = v.demand.t.map(function (t) { return t - t0[k]; });
					span(dx);
					tables.push([dx, v.demand.mib]);
					series.push(line(k + ' demand', color(i), { width: 3, dash: [1, 3], paths: uPlot.paths.stepped({ align: 1 }) }));
					hasDemand = true;
					v.demand.mib.forEach(function (y) { ghi = Math.max(ghi, y); });
				}
			});
			if (tables.length)
				guests.push({ n: n, tables: tables, series: series, want: want, demand: hasDemand });
		});
		if (xlo > xhi)
			return;
		var axes = function (unit) {
			return [{ label: xlabel }, { label: unit, size: 60 }];
		};
		/* every chart's x data from xlo to xhi (a point of no value at each end of its first
		 * series): the same x range on all of them, and a zoom (drag) and its reset still work */
		var pad = function (tables) {
			var t = tables[0];
			tables[0] = [[xlo].concat(t[0], [xhi])].concat(t.slice(1).map(function (y) { return [null].concat(y, [null]); }));
			return tables;
		};
		budgets.forEach(function (b) {
			var d = b.d;
			if (!d.tables.length)
				return;
			var data = uPlot.join(pad(d.tables));
			if (d.limit != null) {
				d.series.push(line('limit', COL.oom, { dash: [6, 4] }));
				data.push(data[0].map(function () { return d.limit; }));
			}
			var plot = chart(sec, b.title, { scales: { x: { time: false } }, axes: axes(b.unit),
				series: d.series }, data);
			policyCharts.push({ kind: 'budget', name: b.title, plot: plot, want: [] });
		});
		guests.forEach(function (g) {
			var title = 'Guest v' + g.n + ': ' + (g.demand ? 'demand (dotted), ' : '') + 'target (dashed) and balloon actual, every job';
			var plot = chart(sec, title, {
				scales: { x: { time: false }, y: { range: [0, ghi > 0 ? ghi * 1.05 : 1] } },
				axes: axes('MiB'), series: g.series
			}, uPlot.join(pad(g.tables)), 'at each decision of the policy (decisions.csv): the target it set or kept, and the actual it saw' +
				(g.demand ? '; demand: the working set the demand workload\'s trace asks for (its spec, on the job\'s clock from its start line)' : ''));
			policyCharts.push({ kind: 'guest', name: title, plot: plot, want: g.want });
		});
	}
	/* #selftest: every policy chart on the same x range, every guest's on the same y range, each
	 * guest's chart with every job's series (its demand where its workload has one); the ranges
	 * and series written on each chart (data-x, data-y, data-series) for the browser tests */
	bb.check(function () {
		var bad = [], x = null, y = null;
		policyCharts.forEach(function (c) {
			var sx = c.plot.scales.x, sy = c.plot.scales.y, box = c.plot.root.parentNode;
			var labels = c.plot.series.slice(1).map(function (s) { return s.label; });
			var rx = sx.min + ',' + sx.max, ry = sy.min + ',' + sy.max;
			box.setAttribute('data-policy-chart', c.kind);
			box.setAttribute('data-x', rx);
			box.setAttribute('data-y', ry);
			box.setAttribute('data-series', labels.join('|'));
			if (x == null)
				x = rx;
			else if (rx !== x)
				bad.push(c.name + ': x ' + rx + ', not ' + x);
			if (c.kind === 'guest') {
				if (y == null)
					y = ry;
				else if (ry !== y)
					bad.push(c.name + ': y ' + ry + ', not ' + y);
			}
			c.want.forEach(function (w) {
				if (labels.indexOf(w) < 0)
					bad.push(c.name + ': no series ' + w);
			});
		});
		return bad.join('; ');
	});

	/* Jobs of two mechanisms (balloon, virtio-mem): their moves and rates drawn on the same axes. */
	function mechanismSection() {
		var mechs = [], MC = { balloon: ['#e6550d', '#3182bd'], 'virtio-mem': ['#756bb1', '#31a354'] };
		if (TC.mechanism == null)
			return;
		T.rows.forEach(function (r) { if (r[TC.mechanism] && mechs.indexOf(r[TC.mechanism]) < 0) mechs.push(r[TC.mechanism]); });
		if (mechs.length < 2)
			return;
		var sec = el('section', { id: 'mechanisms' });
		sec.appendChild(el('h2', { text: 'Mechanisms side by side: ' + mechs.join(' vs ') }));
		app.appendChild(sec);
		var color = function (m, d) { return (MC[m] || ['#8c564b', '#17becf'])[d === 'inflate' ? 0 : 1]; };
		var verb = function (d) { return d === 'inflate' ? 'shrink' : 'grow'; };
		/* 1: every reached move as MiB moved against seconds since its target was set */
		var tables = [], series = [{ label: 's since the target was set' }], span = 0.05;
		T.rows.forEach(function (r) {
			var t100 = num(r[TC.t100_ms]);
			if (r[TC.warmup] !== '1' && t100 != null)
				span = Math.max(span, t100 / 1e3 * 1.1);
		});
		T.rows.forEach(function (r) {
			var vm = (D.vms || []).filter(function (v) { return v.name === r[TC.vm]; })[0];
			var ts = num(r[TC.t_set_s]), from = num(r[TC.from_mib]), g = vm && vm.guest;
			if (r[TC.warmup] === '1' || !g || ts == null || from == null || tables.length >= 40)
				return;
			var x = [], y = [];
			for (var i = 0; i < g[0].length; i++) {
				if (g[0][i] < ts || g[0][i] > ts + span)
					continue;
				x.push(g[0][i] - ts);
				y.push(Math.abs(g[1][i] - from));
			}
			if (x.length < 2)
				return;
			tables.push([x, y]);
			series.push(line(r[TC.mechanism] + ' ' + verb(r[TC.direction]) + ' (' + r[TC.vm] + ' #' + r[TC.index] + ')',
				color(r[TC.mechanism], r[TC.direction]), { width: 1.5, dash: r[TC.mechanism] === mechs[0] ? undefined : [6, 3] }));
		});
		if (tables.length)
			chart(sec, 'MiB moved since the target was set, every measured move of both mechanisms', {
				scales: { x: { time: false } },
				axes: [{ label: 'seconds since the target was set' }, { label: 'MiB moved (guest view)', size: 60 }],
				series: series
			}, uPlot.join(tables), 'solid: ' + mechs[0] + ', dashed: ' + mechs.slice(1).join(', ') +
				' (balloon: orange shrink, blue grow; virtio-mem: purple shrink, green grow). From the downsampled guest series: samples.csv holds every point.');
		/* 2: the mean rate of each move, one axis (log) for both */
		var xs = [], cols = [], sers = [{ label: 'move' }], keys = [];
		mechs.forEach(function (m) { ['inflate', 'deflate'].forEach(function (d) { keys.push([m, d]); }); });
		var n = 0;
		keys.forEach(function (k) {
			var v = T.rows.filter(function (r) { return r[TC.warmup] !== '1' && r[TC.mechanism] === k[0] && r[TC.direction] === k[1]; })
				.map(function (r) { return num(r[TC.mean_rate_mib_s]); });
			n = Math.max(n, v.length);
			cols.push(v);
			sers.push(dots(k[0] + ' ' + verb(k[1]), color(k[0], k[1])));
		});
		for (var i = 0; i < n; i++)
			xs.push(i + 1);
		chart(sec, 'Mean rate of each move (MiB/s, log scale), both mechanisms', {
			scales: { x: { time: false }, y: { distr: 3 } },
			axes: [{ label: 'move (in the order recorded, per mechanism and direction)', incrs: [1, 2, 5, 10, 20, 50] },
				{ label: 'MiB/s', size: 70 }],
			series: sers
		}, [xs].concat(cols.map(function (v) { return xs.map(function (_, i) { return v[i] != null && v[i] > 0 ? v[i] : null; }); })));
	}
	function guestSections() {
		var sec = el('section', { id: 'guests' });
		sec.appendChild(el('h2', { text: 'Guests: balloon, faults, NUMA nodes, workload latency' }));
		sec.appendChild(el('p', { class: 'muted', text: 'Shaded: a transition from its target change to 100 % (orange inflating, blue deflating). ' +
			'Dashed red: an OOM kill. Time series are drawn from ' + (D.downsample ? D.downsample.buckets : '?') +
			' min/max buckets per series (peaks kept); the CSV files hold every sample.' }));
		app.appendChild(sec);
		(D.vms || []).forEach(function (vm, i) { guestSection(sec, vm, i); });
	}

	function guestSection(parent, vm, idx) {
		var sec = el('div', { class: 'vm', id: 'vm-' + idx });
		var trs = vmTransitions(vm.name), ooms = vmOoms(vm.name), intervals = [];
		var g = vm.guest || [[], []], h = vm.host || [[], []];
		var t0 = Infinity, t1 = -Infinity, sync = { key: 'vm' + idx };

		parent.appendChild(sec);
		sec.appendChild(el('h3', { text: vm.name + ' (job ' + vm.job + (vm.label ? ' [' + vm.label + ']' : '') +
			', guest ' + vm.vm_index + ', repetition ' + vm.rep + (vm.warmup ? ', warm-up' : '') + ')' }));
		[g[0], h[0]].forEach(function (a) {
			if (a.length) {
				t0 = Math.min(t0, a[0]);
				t1 = Math.max(t1, a[a.length - 1]);
			}
		});
		/* target: the guest's memory at boot, then each transition's to_mib from the moment it was set */
		var tx = [], ty = [];
		if (isFinite(t0)) {
			tx.push(t0);
			ty.push(vm.memory_mib);
		}
		trs.forEach(function (r, i) {
			var ts = num(r[TC.t_set_s]), t100 = num(r[TC.t100_ms]), next = trs[i + 1] ? num(trs[i + 1][TC.t_set_s]) : null;
			if (ts == null)
				return;
			tx.push(ts);
			ty.push(num(r[TC.to_mib]));
			intervals.push({ t0: ts, t1: t100 != null ? ts + t100 / 1e3 : (next != null ? next : t1),
				dir: r[TC.direction] === 'inflate' ? 1 : -1 });
			t0 = Math.min(t0, ts);
		});
		if (tx.length && isFinite(t1)) {
			tx.push(Math.max(t1, tx[tx.length - 1]));
			ty.push(ty[ty.length - 1]);
		}
		if (!g[0].length && !h[0].length) {
			sec.appendChild(el('p', { text: 'No samples from this guest (it did not boot, or the run stopped before).' }));
			return;
		}
		ooms.forEach(function (t) { t1 = Math.max(t1, t); });
		var tables = [], series = [{ label: 't (s)' }];
		if (g[0].length) {
			tables.push(g);
			series.push(line('guest view (MiB)', COL.guest, { width: 2.5 }));
		}
		if (h[0].length) {
			tables.push(h);
			series.push(line('host view: QEMU actual (MiB)', COL.host, { dash: [5, 5], width: 1.5 }));
		}
		if (tx.length) {
			tables.push([tx, ty]);
			series.push(line('target (MiB)', COL.target, { paths: uPlot.paths.stepped({ align: 1 }), width: 1 }));
		}
		var qr = vm.qemu_rss || [[], []], av = vm.host_avail || [[], []];
		if (qr[0].length) {
			tables.push(qr);
			series.push(line('host: QEMU RSS + huge pages (MiB)', COL.rss, { width: 1.5 }));
		}
		if (av[0].length) {
			tables.push(av);
			series.push(line('host: available memory (MiB, right axis)', COL.avail, { scale: 'avail', width: 1, dash: [2, 4] }));
		}
		chart(sec, 'Guest memory: target vs actual, and the host\'s side', {
			scales: { x: { time: false, range: xRange(t0, t1) }, avail: {} },
			axes: [{ label: 'time since the run started (s)' }, { label: 'MiB', size: 60 },
				{ scale: 'avail', side: 1, label: 'host available (MiB)', size: 80, grid: { show: false } }],
			series: series, cursor: { sync: sync }, hooks: overlays(intervals, ooms)
		}, uPlot.join(tables), 'guest view: memory_mib minus the balloon from the guest\'s own counters (' +
			fmt(vm.raw_samples, 0) + ' samples recorded); host view: what QEMU reports; QEMU RSS: what the host really holds for the guest (it falls only when the balloon takes pages the guest had touched).' +
			(ooms.length ? ' ' + ooms.length + ' OOM kill(s).' : ''));

		if (vm.faults) {
			var f = vm.faults;
			chart(sec, 'Page faults and slow accesses of the workload', {
				scales: { x: { time: false, range: xRange(t0, t1) }, us: {} },
				axes: [{ label: 'time since the run started (s)' }, { label: 'faults/s', size: 70 },
					{ scale: 'us', side: 1, label: 'slowest access (µs)', size: 70, grid: { show: false } }],
				series: [{ label: 't (s)' }, line('faults/s', COL.fault), line('slow accesses/s', COL.slow, { dash: [3, 3] }),
					line('slowest access in 10 ms (µs)', COL.oom, { scale: 'us', width: 1 })],
				cursor: { sync: sync }, hooks: overlays(intervals, ooms)
			}, uPlot.join([f.rate, f.slow_rate, f.slow_max_us]),
			'per 10 ms bin: minor + major faults from perf counters, and accesses slower than the workload\'s threshold');
		}
		if (vm.nodes && vm.nodes.length) {
			var nt = [], ns = [{ label: 't (s)' }];
			vm.nodes.forEach(function (n, k) {
				nt.push(n.total);
				ns.push(line('node ' + n.node + ' MemTotal (MiB)', NODE_COL[k % NODE_COL.length]));
			});
			vm.nodes.forEach(function (n, k) {
				nt.push(n.free);
				ns.push(line('node ' + n.node + ' MemFree (MiB)', NODE_COL[k % NODE_COL.length], { dash: [4, 4], width: 1 }));
			});
			chart(sec, 'Memory per guest NUMA node', {
				scales: { x: { time: false, range: xRange(t0, t1) } },
				axes: [{ label: 'time since the run started (s)' }, { label: 'MiB', size: 60 }],
				series: ns, cursor: { sync: sync }, hooks: overlays(intervals, ooms)
			}, uPlot.join(nt), 'the balloon takes pages out of MemTotal: which node it took them from');
		}
		(vm.latency || []).forEach(function (l) { latencyCharts(sec, vm, l); });
	}

	function latencyCharts(sec, vm, l) {
		/* steady, inflating, deflating, then any other (the epoch after the last change is "final") */
		var rank = function (p) { var i = PHASES.indexOf(p.phase); return i < 0 ? PHASES.length : i; };
		var phases = l.phases.slice().sort(function (a, b) { return rank(a) - rank(b); });
		var x = phases.map(function (_, i) { return i; });
		var pick = function (k) { return phases.map(function (p) { return p[k] > 0 ? p[k] : null; }); };
		chart(sec, l.workload + ' ' + l.kind + ' latency percentiles per phase (µs, log scale)', {
			height: 240,
			scales: { x: { time: false, range: [-0.5, phases.length - 0.5] }, y: { distr: 3 } },
			axes: [{ label: 'phase', splits: function () { return x; },
				values: function (u, splits) { return splits.map(function (i) {
					var p = phases[i];
					return p ? p.phase + ' (n=' + fmt(p.n, 0) + ')' : '';
				}); } },
				{ label: 'µs', size: 60 }],
			series: [{ label: 'phase' }, line('p50', COL.p50, { points: { show: true, size: 8 } }),
				line('p90', COL.p90, { points: { show: true, size: 8 } }),
				line('p99', COL.p99, { points: { show: true, size: 8 } }),
				line('p99.9', COL.p999, { points: { show: true, size: 8 } })]
		}, [x, pick('p50'), pick('p90'), pick('p99'), pick('p999')],
		'from the full histograms (log-linear, relative error <= 1/128) merged over all epochs of each phase');
		var tables = [], series = [{ label: 'µs' }];
		phases.forEach(function (p) {
			if (!p.cdf || !p.cdf[0].length)
				return;
			tables.push(p.cdf);
			series.push(line(p.phase, PHASE_COL[p.phase] || '#777', { paths: uPlot.paths.stepped({ align: 1 }) }));
		});
		if (tables.length)
			chart(sec, l.workload + ' ' + l.kind + ' latency CDF per phase', {
				height: 240,
				scales: { x: { time: false, distr: 3 } },
				axes: [{ label: 'latency (µs, log scale)' }, { label: 'fraction at or below', size: 60 }],
				series: series
			}, uPlot.join(tables));
	}

	function transitionsSection() {
		var sec = el('section', { id: 'transitions' });
		sec.appendChild(el('h2', { text: 'Transitions' }));
		sec.appendChild(el('p', { class: 'muted', text: 'transitions.csv, one row per target change; control latency is target set to first page moved.' }));
		if (!T.rows.length)
			sec.appendChild(el('p', { text: 'None recorded.' }));
		else
			sec.appendChild(htmlTable(T, ['vm', 'job', 'label', 'rep', 'warmup', 'index', 'direction', 'from_mib', 'to_mib',
				'moved_mib', 'control_latency_ms', 't50_ms', 't90_ms', 't100_ms', 'mean_rate_mib_s', 'peak_rate_mib_s',
				'host_mean_rate_mib_s', 'host_returned_mib', 'host_rss_settle_ms', 'qemu_vcpu_ms_per_gib',
				'qemu_other_ms_per_gib', 'stalls', 'faults', 'fault_p99_us', 'wl_p99_us', 'steady_p99_us', 'oom_kills',
				'node_total_delta_mib', 'end_reason'], 5000, function (c, v) {
				return c === 'end_reason' && v !== 'reached' ? 'bad' : '';
			}));
		app.appendChild(sec);
	}

	function kv(dl, k, v) {
		if (v == null || v === '')
			return;
		dl.appendChild(el('dt', { text: k }));
		dl.appendChild(el('dd', { text: typeof v === 'object' ? JSON.stringify(v) : String(v) }));
	}
	function metaSection() {
		var sec = el('section', { id: 'meta' }), dl = el('dl', { class: 'meta' });
		var host = run.host || {}, ver = run.versions || {};
		sec.appendChild(el('h2', { text: 'Run metadata' }));
		kv(dl, 'status', run.status + (run.incomplete_reason ? ': ' + run.incomplete_reason : ''));
		kv(dl, 'run id', run.run_id);
		kv(dl, 'started', run.started_at);
		kv(dl, 'libvirt URI', run.connect);
		kv(dl, 'host', [host.hostname, host.cpu_model, host.cpus + ' CPUs', host.mem_mib + ' MiB',
			'kernel ' + host.kernel, 'NUMA nodes ' + host.numa_nodes].join(', '));
		kv(dl, 'versions', Object.keys(ver).map(function (k) { return k + ' ' + ver[k]; }).join(', '));
		var hl = (run.hosts && run.hosts.list) || [];
		if (hl.length > 1)	// a fleet: each host's facts from its libvirt (summaries go by job@label)
			hl.forEach(function (h) {
				var f = h.facts || {}, n = f.node || {};
				kv(dl, 'host ' + h.name + (h.labels ? ' [' + h.labels + ']' : ''), [h.status + (h.reason ? ' (' + h.reason + ')' : ''),
					h.uri, f.hostname, f.cpu_model, n.cpus + ' CPUs', Math.round((n.memory_kib || 0) / 1024) + ' MiB',
					f.accel_offered, 'libvirt ' + f.libvirt, 'QEMU ' + f.qemu, h.guests + ' guest(s)'].join(', '));
			});
		kv(dl, 'time base', run.time_base);
		sec.appendChild(dl);
		var vms = run.vms || [];
		if (vms.length) {
			var rows = vms.map(function (v) {
				var g = v.guest || {}, c = v.clock || {}, a = v.agent_cost || {}, ts = v.timestamp_cost || {};
				return [v.name, v.job, String(v.rep), v.warmup ? 'yes' : '', v.accel + (v.accel_note ? ' (' + v.accel_note + ')' : ''),
					fmt(v.boot_s), g.kernel || '', g.balloon_feature_names || g.balloon_features || '', g.numa_nodes || '',
					c.error_bound_ns != null ? fmt(c.error_bound_ns / 1e3) : '', a.cpu_percent_of_one_vcpu != null ? fmt(a.cpu_percent_of_one_vcpu) : '',
					a.rss_kib != null ? fmt(a.rss_kib / 1024) : '', a.us_per_sample != null ? fmt(a.us_per_sample) : '',
					ts.timing_overhead_ratio != null ? fmt(ts.timing_overhead_ratio, 3) : '',
					v.host_numa_placement_mib ? JSON.stringify(v.host_numa_placement_mib) : ''];
			});
			sec.appendChild(el('h3', { text: 'Guests' }));
			sec.appendChild(htmlTable({ columns: ['vm', 'job', 'rep', 'warm-up', 'accel', 'boot_s', 'guest kernel', 'balloon features',
				'guest NUMA nodes', 'clock error bound (µs)', 'agent CPU (% of a vCPU)', 'agent RSS (MiB)', 'agent µs/sample',
				'timestamp overhead ratio', 'QEMU memory per host node (MiB)'], rows: rows },
				['vm', 'job', 'rep', 'warm-up', 'accel', 'boot_s', 'guest kernel', 'balloon features', 'guest NUMA nodes',
				'clock error bound (µs)', 'agent CPU (% of a vCPU)', 'agent RSS (MiB)', 'agent µs/sample',
				'timestamp overhead ratio', 'QEMU memory per host node (MiB)']));
		}
		var sc = run.scenario || {};
		sec.appendChild(el('h3', { text: 'Scenario ' + (sc.file || '') }));
		sec.appendChild(el('pre', { text: sc.text || '' }));
		var d = el('details');
		d.appendChild(el('summary', { text: 'every job option as parsed' }));
		d.appendChild(el('pre', { text: JSON.stringify(sc.jobs || [], null, 2) }));
		sec.appendChild(d);
		app.appendChild(sec);
	}

	function eventsSection() {
		var sec = el('section', { id: 'events' });
		var d = el('details');
		sec.appendChild(el('h2', { text: 'Events' }));
		d.appendChild(el('summary', { text: E.rows.length + ' events (boots, targets, workload exits, OOM kills, errors)' }));
		d.appendChild(htmlTable(E, ['t_s', 'vm', 'event', 'detail'], 5000, function (c, v, r, m) {
			return /oom|error|fail|incomplete|mismatch/.test(r[m.event]) ? 'bad' : '';
		}));
		sec.appendChild(d);
		app.appendChild(sec);
	}

	bb.draw(app, function () {
		app.textContent = '';
		headerSection();
		if (JOBS.length > 1) {
			comparisonSection();
			mechanismSection();
		}
		summarySection();
		policySection();
		ratesSection();
		if (JOBS.length < 2)
			mechanismSection();
		guestSections();
		transitionsSection();
		metaSection();
		eventsSection();
	});
})();
