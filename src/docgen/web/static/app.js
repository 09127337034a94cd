// docgen web: small keyboard helpers (no inline script anywhere: the CSP is script-src 'self').
// "/" jumps to the search box from anywhere that is not a text field.
document.addEventListener("keydown", function (event) {
  if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) { return; }
  var t = event.target;
  if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable)) { return; }
  var box = document.getElementById("q");
  if (box) { event.preventDefault(); box.focus(); box.select(); }
  else { window.location.href = "/search"; }
});
