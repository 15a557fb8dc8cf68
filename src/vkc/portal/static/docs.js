// The interactive API documentation: Swagger UI (served from the package) over the platform's OpenAPI document.
const element = document.getElementById("swagger-ui");
window.ui = SwaggerUIBundle({
  url: element.dataset.openapi,
  domNode: element,
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
});
