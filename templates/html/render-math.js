// Typeset every \( \) and \[ \] with the inlined KaTeX; without JavaScript the LaTeX source stays readable.
(function () {
  function typeset() {
    if (typeof renderMathInElement !== "function") { return; }
    renderMathInElement(document.body, {
      delimiters: [
        { left: "\\[", right: "\\]", display: true },
        { left: "\\(", right: "\\)", display: false }
      ],
      ignoredTags: ["script", "noscript", "style", "textarea", "pre", "code", "svg"],
      throwOnError: false,
      strict: "ignore",
      trust: false
    });
    document.body.classList.add("math-ready");
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", typeset);
  } else {
    typeset();
  }
})();
