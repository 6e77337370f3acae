// DOM helpers shared by the pages' scripts. Text always goes in through textContent, so
// names from data files are never parsed as HTML.
(function (locator) {
  "use strict";

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function add(parent, tag, className, text) {
    return parent.appendChild(el(tag, className, text));
  }

  locator.el = el;
  locator.add = add;
})(window.locator = window.locator || {});
