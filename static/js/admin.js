/* admin.js: the admin's picture upload (templates/admin/product.html). The picture's bytes go
 * as the body of PUT /admin/products/{id}/picture with its type, and the page's form token in
 * X-CSRF-Token; the server checks the bytes (PNG, JPEG, WebP; at most 1 MiB). */
(function () {
  "use strict";
  document.querySelectorAll("[data-upload]").forEach(function (box) {
    var input = box.querySelector("input[type=file]");
    var button = box.querySelector("button");
    var status = box.querySelector(".upload__status");
    button.addEventListener("click", function () {
      var file = input.files && input.files[0];
      if (!file) { status.textContent = "Choose a picture first."; return; }
      if (file.size > 1048576) { status.textContent = "The picture is larger than 1 MiB."; return; }
      status.textContent = "Uploading…";
      button.disabled = true;
      fetch(box.getAttribute("data-upload"), {
        method: "PUT", credentials: "same-origin", body: file,
        headers: { "Content-Type": file.type || "application/octet-stream",
                   "X-CSRF-Token": box.getAttribute("data-csrf") }
      }).then(function (r) {
        return r.json().then(function (j) { return { ok: r.ok, j: j }; });
      }).then(function (res) {
        if (res.ok) { location.reload(); return; }
        status.textContent = (res.j.error && res.j.error.message) || "The upload failed.";
        button.disabled = false;
      }).catch(function () {
        status.textContent = "The upload failed; try again.";
        button.disabled = false;
      });
    });
  });
})();
