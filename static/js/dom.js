// DOM helpers shared by the pages' scripts. Text always goes in through textContent, so
// names from data files are never parsed as HTML.
var LocatorDom = (function () {
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

  // "{matched} matched" with {matched} filled in; values are plain text, never markup.
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, name) {
      return name in values ? String(values[name]) : whole;
    });
  }

  return { el: el, add: add, fill: fill };
})();
