// The /rfid/ list: the header checkbox selects (or clears) every tag of the page.
document.querySelectorAll("[data-select-all]").forEach((all) => {
  all.addEventListener("change", () => {
    all.closest("table").querySelectorAll("input[name=ids]").forEach((box) => { box.checked = all.checked; });
  });
});
