// Starts Swagger UI on /docs. A file, not an inline script, so a strict
// Content-Security-Policy (script-src 'self') holds on the docs page.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    displayOperationId: true,
    defaultModelsExpandDepth: 0,
    // The validator badge would send the spec to an outside service; the docs work offline.
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
