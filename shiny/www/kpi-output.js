// Shiny output binding for a row of KPI boxes: the server sends {key: {value, delta, tone}} for the whole row
// and each box's value and delta are set in place (one message per filter change instead of one per box).
(function () {
  const binding = new Shiny.OutputBinding();
  binding.find = (scope) => $(scope).find(".kpi-row-output");
  binding.renderValue = (el, values) => {
    el.querySelectorAll(".kpi-output[data-kpi-key]").forEach((box) => {
      const kpi = values && values[box.dataset.kpiKey];
      if (!kpi) {
        box.replaceChildren();
        return;
      }
      const value = document.createElement("div");
      value.className = "kpi-value";
      value.textContent = kpi.value;
      const delta = document.createElement("div");
      delta.className = `kpi-delta kpi-delta-${kpi.tone}`;
      delta.textContent = kpi.delta;
      box.replaceChildren(value, delta);
    });
  };
  binding.renderError = (el, err) => binding.renderValue(el, null);
  binding.clearError = () => {};
  Shiny.outputBindings.register(binding, "clickstream.kpiOutput");
})();
