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
		h.appendChild(keyFigures());
		[['#summary', 'summary'], ['#rates', 'rates per transition'], ['#guests', 'guests'],
			['#transitions', 'transitions'], ['#meta', 'run metadata'], ['#events', 'events']].forEach(function (a) {
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
			return /oom|error|fail|incomplete/.test(r[m.event]) ? 'bad' : '';
		}));
		sec.appendChild(d);
		app.appendChild(sec);
	}

	bb.draw(app, function () {
		app.textContent = '';
		headerSection();
		summarySection();
		ratesSection();
		mechanismSection();
		guestSections();
		transitionsSection();
		metaSection();
		eventsSection();
	});
})();
