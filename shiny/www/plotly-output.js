// Shiny output binding for charts: the server sends a plotly figure spec ({data, layout}); Plotly.react
// draws it, updating an existing chart in place (much cheaper than re-creating it on every filter change).
// The chart's width is tracked with a ResizeObserver and handed to plotly, so a redraw never makes plotly
// measure its container: measuring forces the browser to lay the whole page out mid-update, which cost
// more than drawing the chart.
(function () {
  const config = { displayModeBar: false };
  const widths = new WeakMap();
  const observer = new ResizeObserver((entries) => {
    for (const entry of entries) {
      const el = entry.target;
      const width = Math.round(entry.contentRect.width);
      if (!width || widths.get(el) === width) continue;
      widths.set(el, width);
      if (el._fullLayout) Plotly.relayout(el, { width });
    }
  });
  const binding = new Shiny.OutputBinding();
  binding.find = (scope) => $(scope).find(".plotly-output");
  binding.renderValue = (el, figure) => {
    if (!figure) {
      Plotly.purge(el);
      return;
    }
    if (!widths.has(el)) {
      observer.observe(el);
      widths.set(el, el.clientWidth); // the first draw measures once; the observer keeps it current
    }
    const width = widths.get(el);
    const layout = width ? { ...figure.layout, width, autosize: false } : figure.layout;
    Plotly.react(el, figure.data, layout, config);
  };
  Shiny.outputBindings.register(binding, "clickstream.plotlyOutput");
})();
