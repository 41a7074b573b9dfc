// Shiny output binding for charts: the server sends a plotly figure spec ({data, layout}); Plotly.react
// draws it, updating an existing chart in place (much cheaper than re-creating it on every filter change).
(function () {
  const config = { displayModeBar: false, responsive: true };
  const binding = new Shiny.OutputBinding();
  binding.find = (scope) => $(scope).find(".plotly-output");
  binding.renderValue = (el, figure) => {
    if (!figure) {
      Plotly.purge(el);
      return;
    }
    Plotly.react(el, figure.data, figure.layout, config);
  };
  Shiny.outputBindings.register(binding, "clickstream.plotlyOutput");
})();
