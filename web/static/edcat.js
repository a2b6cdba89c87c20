// edcat web catalogue: the only script, served from the package (the CSP forbids inline code).
// Everything works without it; it only shows the confidence slider's value as it moves.
document.addEventListener("DOMContentLoaded", () => {
  const slider = document.getElementById("min-confidence");
  const output = document.getElementById("confidence-value");
  if (slider && output) {
    slider.addEventListener("input", () => {
      output.textContent = Number(slider.value).toFixed(2);
    });
  }
});
