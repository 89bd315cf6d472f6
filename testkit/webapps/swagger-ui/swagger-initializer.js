// Replaces the package's initializer: the same options, pointed at the local copy of the spec.
window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: '/spec/petstore-openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: 'StandaloneLayout',
  });
};
