// Starts Swagger UI (swagger-ui-bundle.js, loaded just before) on the
// document named by the page, as a file of its own: the page's
// Content-Security-Policy runs scripts from this origin only, never inline.
(function startSwaggerUi() {
  'use strict';
  var container = document.getElementById('swagger-ui');
  if (!container || typeof SwaggerUIBundle !== 'function') return;
  window.ui = SwaggerUIBundle({
    url: container.getAttribute('data-openapi-url'),
    domNode: container,
    deepLinking: true,
    // The default asks a validator on the internet about the document; this page talks to its own origin only.
    validatorUrl: null,
    // "Try it out" calls the gateway that served this page, whatever address the document's servers name
    // (the connect-src 'self' of the page would refuse any other).
    requestInterceptor: function toThisGateway(request) {
      var url = new URL(request.url, window.location.href);
      request.url = window.location.origin + url.pathname + url.search;
      return request;
    },
  });
})();
