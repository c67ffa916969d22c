// Typeset the maths nnsteps wrote, and nothing else: only elements of class "math" (which hold \( \) or \[ \]
// around LaTeX from the derivation) are handed to KaTeX, so user text (a title, a name, an answer) is never
// typeset, whatever delimiters it contains. Without JavaScript the LaTeX source stays readable.
(function () {
  function typeset() {
    if (typeof renderMathInElement !== "function") { return; }
    var options = {
      delimiters: [
        { left: "\\[", right: "\\]", display: true },
        { left: "\\(", right: "\\)", display: false }
      ],
      ignoredTags: ["script", "noscript", "style", "textarea", "pre", "code", "svg"],
      throwOnError: false,
      strict: "ignore",
      trust: false
    };
    var elements = document.querySelectorAll(".math");
    for (var i = 0; i < elements.length; i++) {
      renderMathInElement(elements[i], options);
    }
    document.body.classList.add("math-ready");
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", typeset);
  } else {
    typeset();
  }
})();
