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

// Uploads: drop files on the box (or pick them); they go into the form's file input and the form is sent.
document.addEventListener("DOMContentLoaded", function () {
  var zone = document.getElementById("dropzone");
  var input = document.getElementById("files");
  var form = document.getElementById("upload-form");
  if (!zone || !input || !form) { return; }
  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (event) { event.preventDefault(); zone.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (name) {
    zone.addEventListener(name, function () { zone.classList.remove("over"); });
  });
  zone.addEventListener("drop", function (event) {
    event.preventDefault();
    if (!event.dataTransfer || !event.dataTransfer.files.length) { return; }
    input.files = event.dataTransfer.files;
    if (typeof form.requestSubmit === "function") { form.requestSubmit(); } else { form.submit(); }
  });
});
