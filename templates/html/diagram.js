/* nnsteps network diagram: neuron click -> impulses, weight click -> chain-rule paths, hover or focus -> values.
   Every element is reachable by Tab; Enter or Space acts as a click. */
(function () {
  "use strict";
  var SVGNS = "http://www.w3.org/2000/svg";
  var TRAVEL_MS = 900;   // one impulse crosses one weight in this time
  var RELAY_MS = 750;    // the receiving neuron fires this long after the impulse left

  function byId(svg, id) { return svg.querySelector('[id="' + id + '"]'); }

  function ease(t) { return t < 0.5 ? 2 * t * t : 1 - Math.pow(-2 * t + 2, 2) / 2; }

  function lineOf(el) {  // the visible segment of a weight group or of a cost edge
    var line = el.tagName.toLowerCase() === "line" ? el : el.querySelector("line.nn-line");
    return ["x1", "y1", "x2", "y2"].map(function (a) { return parseFloat(line.getAttribute(a)); });
  }

  function setup(svg) {
    var running = 0;
    var tip = null;

    function started() { running += 1; svg.classList.add("animating"); }
    function finished() { running -= 1; if (running === 0) { svg.classList.remove("animating"); } }

    // A red dot moves along the segment from (x1, y1) to (x2, y2); the receiver glows on arrival.
    function impulse(seg, receiver) {
      var dot = document.createElementNS(SVGNS, "circle");
      dot.setAttribute("r", "5");
      dot.setAttribute("class", "impulse");
      dot.setAttribute("cx", seg[0]);
      dot.setAttribute("cy", seg[1]);
      svg.appendChild(dot);
      started();
      var t0 = null;
      function frame(now) {
        if (t0 === null) { t0 = now; }
        var t = Math.min(1, (now - t0) / TRAVEL_MS), e = ease(t);
        dot.setAttribute("cx", seg[0] + e * (seg[2] - seg[0]));
        dot.setAttribute("cy", seg[1] + e * (seg[3] - seg[1]));
        if (t < 1) { requestAnimationFrame(frame); return; }
        dot.remove();
        if (receiver) {
          receiver.classList.add("nn-receiving");
          setTimeout(function () { receiver.classList.remove("nn-receiving"); }, 400);
        }
        finished();
      }
      requestAnimationFrame(frame);
    }

    // Fire neuron x^(l)_k: one impulse per outgoing weight; each reached neuron fires once in turn.
    function fire(neuronId, fired) {
      if (fired[neuronId]) { return; }
      fired[neuronId] = true;
      var out = svg.querySelectorAll('[data-from="' + neuronId + '"]');
      if (!out.length) { return; }
      var node = byId(svg, neuronId);
      if (node) { node.classList.add("impulse"); started(); }
      setTimeout(function () { if (node) { node.classList.remove("impulse"); } finished(); }, TRAVEL_MS);
      Array.prototype.forEach.call(out, function (edge) {
        var to = edge.getAttribute("data-to");
        var receptor = byId(svg, to.replace("nn-x", "nn-z")) || byId(svg, to);
        impulse(lineOf(edge), receptor);
        started();
        setTimeout(function () { finished(); relay(to, fired); }, RELAY_MS);
      });
    }

    // A neuron whose output is 0 (ReLU off, dropped) sends nothing on: the impulse stops there.
    function relay(neuronId, fired) {
      var node = byId(svg, neuronId);
      if (node && parseFloat(node.getAttribute("data-value")) === 0) {
        node.classList.add("nn-stopped");
        setTimeout(function () { node.classList.remove("nn-stopped"); }, TRAVEL_MS);
        return;
      }
      fire(neuronId, fired);
    }

    function clearPaths() {
      svg.classList.remove("nn-dim");
      Array.prototype.forEach.call(svg.querySelectorAll(".highlight"), function (el) {
        el.classList.remove("highlight");
      });
    }

    // Elements on the chain-rule paths from J back to weight w^(l)_{i,j}: the weight, its source x^(l-1)_i
    // (dz/dw), its receptor z^(l)_j, then everything downstream of x^(l)_j, found by following data-from.
    // In a vector layer (softmax, listed in the root's data-vector) z_j feeds every x_k of the layer.
    function pathIds(weight) {
      var vector = (svg.getAttribute("data-vector") || "").split(/\s+/);
      var ids = [weight.id, weight.getAttribute("data-from")], seen = {}, queue = [];
      function reach(neuronId) {
        var node = byId(svg, neuronId);
        var layer = node && node.getAttribute("data-layer");
        var group = layer && vector.indexOf(layer) >= 0 ?
          svg.querySelectorAll('.nn-neuron[data-layer="' + layer + '"]') : [node || { id: neuronId }];
        Array.prototype.forEach.call(group, function (n) {
          if (!seen[n.id]) { seen[n.id] = true; ids.push(n.id); queue.push(n.id); }
        });
      }
      var first = weight.getAttribute("data-to");
      ids.push(first.replace("nn-x", "nn-z"));
      reach(first);
      while (queue.length) {
        var from = queue.shift();
        Array.prototype.forEach.call(svg.querySelectorAll('[data-from="' + from + '"]'), function (e) {
          var to = e.getAttribute("data-to"), receptor = to.replace("nn-x", "nn-z");
          ids.push(e.id);
          if (!seen[receptor]) { seen[receptor] = true; ids.push(receptor); }
          reach(to);
        });
      }
      return ids;
    }

    // After a jump, a link under the target's heading leads back to the weight in the diagram.
    function backLink(target, weight) {
      var box = target.tagName.toLowerCase() === "span" ? target.parentNode : target;
      var link = box.querySelector(".nn-back");
      if (!link) {
        link = document.createElement("a");
        link.className = "nn-back";
        link.textContent = "\u2191 back to the diagram";
        var heading = box.querySelector("h1, h2, h3, h4, h5, h6");
        if (heading) { heading.insertAdjacentElement("afterend", link); } else { box.appendChild(link); }
      }
      link.href = "#" + (svg.id || "");
      link.onclick = function (ev) {
        ev.preventDefault();
        svg.scrollIntoView({ block: "center" });
        weight.focus({ preventScroll: true });
      };
      return link;
    }

    // Light the chain-rule paths from J to this weight, dim the rest, scroll to its derivation.
    function showPaths(weight, byKey) {
      var wasOn = weight.classList.contains("highlight");
      clearPaths();
      if (wasOn) { return; }
      svg.classList.add("nn-dim");
      pathIds(weight).forEach(function (id) {
        var el = id && byId(svg, id);
        if (el) { el.classList.add("highlight"); }
      });
      var m = /^W(\d+)\[(\d+),(\d+)\]$/.exec(weight.getAttribute("data-param") || "");
      var target = m && document.getElementById("grad-W" + m[1] + "-" + m[2] + "-" + m[3]);
      if (target) {
        var reduce = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
        var link = backLink(target, weight);
        target.scrollIntoView({ behavior: reduce || byKey ? "auto" : "smooth", block: "center" });
        target.classList.add("nn-focus");
        setTimeout(function () { target.classList.remove("nn-focus"); }, 1500);
        if (byKey) { link.focus({ preventScroll: true }); }  // the keyboard user can go straight back
      }
    }

    // The styled tooltip: the element's title (moved to aria-label), one fact per line, at the text's precision.
    function showTip(el, x, y) {
      if (!tip) {
        tip = document.createElement("div");
        tip.className = "nn-tooltip";
        tip.setAttribute("role", "tooltip");
        document.body.appendChild(tip);
      }
      tip.textContent = (el.getAttribute("aria-label") || "").split("; ").join("\n");
      tip.style.display = "block";
      tip.style.left = (x + 14) + "px";
      tip.style.top = (y + 14) + "px";
    }

    function hideTip() { if (tip) { tip.style.display = "none"; } }

    // Titles would double the styled tooltip: keep them for no-JS readers only.
    Array.prototype.forEach.call(svg.querySelectorAll(".nn-el[tabindex]"), function (el) {
      var title = el.querySelector("title");
      if (title) { el.setAttribute("aria-label", title.textContent); title.remove(); }
      el.setAttribute("role", "button");
      el.addEventListener("mousemove", function (ev) { showTip(el, ev.clientX, ev.clientY); });
      el.addEventListener("mouseleave", hideTip);
      el.addEventListener("focus", function () {
        var box = el.getBoundingClientRect();
        showTip(el, box.left + box.width / 2, box.top + box.height / 2);
      });
      el.addEventListener("blur", hideTip);
    });

    function act(el, byKey) {
      if (el.classList.contains("nn-weight")) { showPaths(el, byKey); return; }
      if (!el.hasAttribute("data-layer")) { return; }  // the cost box only has its tooltip
      fire("nn-x" + el.getAttribute("data-layer") + "-" + el.getAttribute("data-index"), {});
    }

    svg.addEventListener("click", function (ev) {
      var el = ev.target.closest ? ev.target.closest(".nn-weight, .nn-neuron, .nn-receptor") : null;
      if (!el || !svg.contains(el)) { clearPaths(); return; }
      act(el, false);
    });
    document.addEventListener("keydown", function (ev) { if (ev.key === "Escape") { clearPaths(); hideTip(); } });
    svg.addEventListener("keydown", function (ev) {
      var el = ev.target;
      if ((ev.key === "Enter" || ev.key === " ") && el.classList && el.classList.contains("nn-el")) {
        ev.preventDefault();
        act(el, true);
      }
    });
    controls(svg);
  }

  // Under the diagram: the hint that says what can be done, and the toggle for the backward values.
  function controls(svg) {
    var bar = document.createElement("p");
    bar.className = "nn-hint";
    var toggle = document.createElement("button");
    toggle.type = "button";
    toggle.className = "nn-toggle";
    toggle.setAttribute("aria-pressed", "false");
    toggle.textContent = "Show backward values \u03b4";
    toggle.addEventListener("click", function () {
      var on = svg.classList.toggle("nn-show-delta");
      toggle.setAttribute("aria-pressed", on ? "true" : "false");
      toggle.textContent = (on ? "Hide" : "Show") + " backward values \u03b4";
    });
    bar.appendChild(document.createTextNode("Hover or click a neuron or weight (or Tab to it, then Enter): a neuron " +
      "fires impulses forward, a weight lights its chain-rule paths and links to its derivation. "));
    if (svg.querySelector(".nn-delta")) { bar.appendChild(toggle); }
    svg.insertAdjacentElement("afterend", bar);
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("svg.nnsteps-diagram"), function (svg, n) {
      if (svg.getAttribute("data-nn-ready")) { return; }
      svg.setAttribute("data-nn-ready", "1");
      if (!svg.id) { svg.id = "nn-diagram" + (n ? "-" + n : ""); }
      setup(svg);
    });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
