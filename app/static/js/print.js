// The print views' "Print" button: shown only when scripts run, since it needs window.print().
document.querySelectorAll("[data-print]").forEach((button) => {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
});
