// A backtest's charts, drawn from the page's JSON block (#chart-data): the equity curve
// and its drawdown with uPlot, one market's candles with every trade's entry, exit and
// stop with lightweight-charts. Both libraries are served by trader itself (no CDN).

// Each chart's resize handler; replaced when the page's content is swapped by a live update.
let resizers = [];
window.addEventListener('resize', () => resizers.forEach((r) => r()));

function equityChart(el, equity) {
  const options = {
    width: el.clientWidth,
    height: 320,
    series: [
      {},
      { label: 'Equity', scale: 'equity', stroke: '#0b5c8a', width: 2 },
      { label: 'Drawdown %', scale: '%', stroke: '#b3001b', fill: 'rgba(179, 0, 27, 0.12)', width: 1 },
    ],
    axes: [{}, { scale: 'equity' }, { scale: '%', side: 1, grid: { show: false } }],
  };
  const plot = new window.uPlot(options, [equity.t, equity.equity, equity.drawdown], el);
  resizers.push(() => plot.setSize({ width: el.clientWidth, height: 320 }));
}

function stopLine(trades, bars) {
  // One line whose segments are each trade's stop while it was open; a whitespace point ends a segment.
  const times = bars.map((b) => b[0]);
  const points = [];
  const push = (p) => {
    if (points.length === 0 || p.time > points[points.length - 1].time) points.push(p);
  };
  for (const t of [...trades].sort((a, b) => a.entry_t - b.entry_t)) {
    push({ time: t.entry_t, value: t.stop });
    push({ time: t.exit_t, value: t.stop });
    const after = times.find((x) => x > t.exit_t);
    if (after !== undefined) push({ time: after });
  }
  return points;
}

function candleChart(el, bars, trades) {
  const LC = window.LightweightCharts;
  const chart = LC.createChart(el, {
    width: el.clientWidth,
    height: 360,
    // The attribution is the page's own line under the chart: the logo would need an inline style (CSP).
    layout: { background: { color: '#ffffff' }, textColor: '#1c1c1c', attributionLogo: false },
    timeScale: { timeVisible: true },
  });
  const candles = chart.addSeries(LC.CandlestickSeries, {
    upColor: '#1d6b36',
    downColor: '#b3001b',
    wickUpColor: '#1d6b36',
    wickDownColor: '#b3001b',
    borderVisible: false,
  });
  candles.setData(bars.map(([time, open, high, low, close]) => ({ time, open, high, low, close })));
  const stops = chart.addSeries(LC.LineSeries, { color: '#d97706', lineWidth: 2, lineStyle: 2, title: 'stop' });
  stops.setData(stopLine(trades, bars));
  // Labels are readable on a few trades; on many the colours and shapes say enough.
  const label = (text) => (trades.length <= 20 ? text : '');
  const markers = trades
    .flatMap((t) => [
      {
        time: t.entry_t,
        position: t.side === 'long' ? 'belowBar' : 'aboveBar',
        shape: t.side === 'long' ? 'arrowUp' : 'arrowDown',
        color: '#0b5c8a',
        text: label(`#${t.no} ${t.side}`),
      },
      {
        time: t.exit_t,
        position: t.side === 'long' ? 'aboveBar' : 'belowBar',
        shape: 'circle',
        color: t.pnl >= 0 ? '#1d6b36' : '#b3001b',
        text: label(`${t.reason} ${t.pnl >= 0 ? '+' : ''}${t.pnl}`),
      },
    ])
    .sort((a, b) => a.time - b.time);
  LC.createSeriesMarkers(candles, markers);
  chart.timeScale().fitContent();
  resizers.push(() => chart.applyOptions({ width: el.clientWidth }));
}

// An optimiser study: each trial's score in the order the trials ran (points, no line).
function scatterChart(el, s) {
  const options = {
    width: el.clientWidth,
    height: 260,
    series: [
      { label: 'Trial' },
      { label: s.label, stroke: '#0b5c8a', paths: () => null, points: { show: true, size: 5, fill: '#0b5c8a' } },
    ],
    axes: [{ label: 'trial' }, { label: 'score' }],
    scales: { x: { time: false } },
  };
  const plot = new window.uPlot(options, [s.x, s.y], el);
  resizers.push(() => plot.setSize({ width: el.clientWidth, height: 260 }));
}

/** Draws every chart the page's JSON block describes, into the elements it names. */
function draw() {
  resizers = [];
  const data = JSON.parse(document.getElementById('chart-data')?.textContent ?? 'null');
  for (const s of data?.scatters ?? []) {
    const el = document.getElementById(s.el);
    if (el && window.uPlot && s.x.length > 0) scatterChart(el, s);
  }
  const equityEl = document.getElementById('equity-chart');
  if (data && equityEl && data.equity && window.uPlot) equityChart(equityEl, data.equity);
  const candleEl = document.getElementById('candle-chart');
  if (data && candleEl && data.candles?.length > 0 && window.LightweightCharts)
    candleChart(candleEl, data.candles, data.trades);
  document.body.dataset.charts = 'drawn';
}

draw();
// A live update (dashboard.js) replaced the content, charts' elements included.
document.addEventListener('trader:refreshed', draw);
