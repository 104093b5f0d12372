// The admin page's little script: filter boxes and confirmations. The page
// works without it.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const box of document.querySelectorAll("input[data-filter]")) {
    box.addEventListener("input", () => {
      const text = box.value.toLowerCase();
      for (const item of document.querySelectorAll(box.dataset.filter)) {
        const own = item.querySelector("a");
        const match = !text || (own && own.textContent.toLowerCase().includes(text)) ||
          item.textContent.toLowerCase().includes(text);
        item.style.display = match ? "" : "none";
      }
    });
  }
  for (const button of document.querySelectorAll("button[data-confirm]")) {
    button.addEventListener("click", (event) => {
      if (!window.confirm(button.dataset.confirm)) event.preventDefault();
    });
  }
});
