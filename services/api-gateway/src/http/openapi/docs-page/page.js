// The /api/docs page: loads /api/openapi.json and renders it. Plain browser
// JavaScript, loaded inline (no network but the document itself). Every text
// from the document goes into the page through text nodes, never as HTML, so a
// description cannot inject markup; links are only ever in-page anchors.
(function () {
  'use strict';

  var METHODS = ['get', 'put', 'post', 'patch', 'delete'];
  var root = document.getElementById('app');
  var navList = document.getElementById('nav');
  var doc;

  function el(tag, className) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    for (var i = 2; i < arguments.length; i++) append(node, arguments[i]);
    return node;
  }
  function append(node, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) {
      child.forEach(function (c) { append(node, c); });
    } else if (typeof child === 'object' && 'nodeType' in child) {
      node.appendChild(child);
    } else {
      node.appendChild(document.createTextNode(String(child)));
    }
  }
  // In-page anchors only: ids are made of [A-Za-z0-9_-].
  function anchorId(kind, name) {
    return kind + '-' + String(name).replace(/[^A-Za-z0-9_-]/g, '_');
  }
  function link(kind, name, label) {
    var a = el('a', '', label);
    a.setAttribute('href', '#' + anchorId(kind, name));
    return a;
  }
  function code(text) { return el('code', '', text); }

  // A little Markdown: paragraphs, "- " lists, "## " headings, `code`, **bold**.
  function inline(text) {
    var out = [];
    var re = /`([^`]+)`|\*\*([^*]+)\*\*/g;
    var last = 0;
    var match;
    while ((match = re.exec(text)) !== null) {
      if (match.index > last) out.push(text.slice(last, match.index));
      out.push(match[1] !== undefined ? code(match[1]) : el('strong', '', match[2]));
      last = re.lastIndex;
    }
    if (last < text.length) out.push(text.slice(last));
    return out;
  }
  function markdown(text) {
    var box = el('div', 'desc');
    if (typeof text !== 'string' || text === '') return box;
    var list = null;
    var para = [];
    function flushPara() {
      if (para.length) box.appendChild(el('p', '', inline(para.join(' '))));
      para = [];
    }
    text.split('\n').forEach(function (line) {
      var trimmed = line.trim();
      if (/^- /.test(trimmed)) {
        flushPara();
        if (!list) { list = el('ul'); box.appendChild(list); }
        list.appendChild(el('li', '', inline(trimmed.slice(2))));
        return;
      }
      list = null;
      if (trimmed === '') { flushPara(); return; }
      var heading = /^(#{1,4}) (.*)$/.exec(trimmed);
      if (heading) { flushPara(); box.appendChild(el('h3', '', inline(heading[2]))); return; }
      para.push(trimmed);
    });
    flushPara();
    return box;
  }

  function refName(ref) { return String(ref).split('/').pop(); }
  function resolve(obj) {
    if (!obj || typeof obj.$ref !== 'string') return obj;
    var parts = obj.$ref.replace(/^#\//, '').split('/');
    var node = doc;
    for (var i = 0; i < parts.length && node; i++) node = node[parts[i].replace(/~1/g, '/').replace(/~0/g, '~')];
    return node || obj;
  }

  function typeLabel(schema) {
    if (!schema || typeof schema !== 'object') return 'any';
    if (schema.$ref) return null;
    if (schema.const !== undefined) return 'const ' + JSON.stringify(schema.const);
    var type = schema.type;
    if (Array.isArray(type)) return type.join(' | ');
    if (type === 'array') {
      var items = schema.items || {};
      return 'array of ' + (items.$ref ? refName(items.$ref) : (typeLabel(items) || 'any'));
    }
    return type || (schema.oneOf ? 'one of' : schema.anyOf ? 'any of' : schema.allOf ? 'all of' : 'any');
  }

  function constraints(schema) {
    var out = [];
    function add(label, value) { if (value !== undefined) out.push(label + value); }
    if (schema.enum) out.push('one of ' + schema.enum.map(function (v) { return JSON.stringify(v); }).join(', '));
    add('format ', schema.format);
    add('min length ', schema.minLength);
    add('max length ', schema.maxLength);
    add('pattern ', schema.pattern);
    add('minimum ', schema.minimum);
    add('maximum ', schema.maximum);
    add('min items ', schema.minItems);
    add('max items ', schema.maxItems);
    if (schema.uniqueItems) out.push('unique items');
    add('min properties ', schema.minProperties);
    if (schema.default !== undefined) out.push('default ' + JSON.stringify(schema.default));
    add('content type ', schema.contentMediaType);
    if (schema.additionalProperties === false) out.push('no other fields');
    if (Array.isArray(schema.examples) && schema.examples.length) out.push('e.g. ' + schema.examples.map(function (v) { return JSON.stringify(v); }).join(', '));
    return out.join(' · ');
  }

  // The document's error responses are allOf [Error, {error: {code: {enum}}}]: shown as one line.
  function errorCodes(schema) {
    if (!schema || !Array.isArray(schema.allOf) || schema.allOf.length !== 2 || !schema.allOf[0].$ref) return null;
    var narrowed = schema.allOf[1];
    var code = narrowed && narrowed.properties && narrowed.properties.error && narrowed.properties.error.properties &&
      narrowed.properties.error.properties.code;
    return code && Array.isArray(code.enum) ? { ref: schema.allOf[0].$ref, codes: code.enum } : null;
  }

  // expand: show the properties of a referenced schema here too (for bodies), not only a link.
  function schemaView(schema, depth, expand) {
    var box = el('div', 'schema');
    if (!schema || typeof schema !== 'object') { box.appendChild(el('span', 'type', 'any')); return box; }
    if (depth > 8) { box.appendChild(el('span', 'muted', '…')); return box; }
    var narrowed = errorCodes(schema);
    if (narrowed) {
      box.appendChild(el('div', '', link('schema', refName(narrowed.ref), refName(narrowed.ref)), ' with ', code('error.code'), ' ',
        narrowed.codes.map(function (c, i) { return i ? [' or ', code(c)] : code(c); })));
      return box;
    }
    if (schema.$ref && expand) {
      var target = resolve(schema);
      if (target && target !== schema) {
        box.appendChild(el('div', '', link('schema', refName(schema.$ref), refName(schema.$ref))));
        box.appendChild(schemaView(target, depth + 1, false));
        return box;
      }
    }
    var line = el('div');
    if (schema.$ref) line.appendChild(link('schema', refName(schema.$ref), refName(schema.$ref)));
    var label = typeLabel(schema);
    if (label) line.appendChild(el('span', 'type', label));
    var c = constraints(schema);
    if (c) line.appendChild(el('span', 'constraint', ' ' + c));
    box.appendChild(line);
    if (schema.description) box.appendChild(markdown(schema.description));
    ['allOf', 'oneOf', 'anyOf'].forEach(function (key) {
      if (Array.isArray(schema[key])) schema[key].forEach(function (sub) { box.appendChild(schemaView(sub, depth + 1, false)); });
    });
    if (schema.properties) {
      var required = schema.required || [];
      Object.keys(schema.properties).forEach(function (name) {
        var prop = el('div', 'prop', el('span', 'prop-name', name), required.indexOf(name) >= 0 ? el('span', 'req', 'required') : null);
        prop.appendChild(schemaView(schema.properties[name], depth + 1, false));
        box.appendChild(prop);
      });
    }
    if (schema.type === 'array' && schema.items && !schema.items.$ref && (schema.items.properties || schema.items.oneOf)) {
      box.appendChild(schemaView(schema.items, depth + 1, false));
    }
    if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
      box.appendChild(el('div', 'prop', el('span', 'prop-name', '(any other key)'), schemaView(schema.additionalProperties, depth + 1, false)));
    }
    return box;
  }

  function contentView(content, isError) {
    var box = el('div');
    Object.keys(content || {}).forEach(function (type) {
      var media = content[type] || {};
      box.appendChild(el('h4', '', code(type)));
      if (media.schema) box.appendChild(schemaView(media.schema, 0, true));
      if (media.example !== undefined && !isError) {
        box.appendChild(el('div', 'constraint', 'Example: ', code(JSON.stringify(media.example))));
      }
    });
    return box;
  }

  function headersView(headers) {
    var names = Object.keys(headers || {});
    if (!names.length) return null;
    return el('div', 'constraint', 'Headers: ', names.map(function (name, i) {
      var header = resolve(headers[name]) || {};
      var item = el('span', '', code(name), header.description ? [' (', inline(header.description), ')'] : '');
      return i ? ['; ', item] : item;
    }));
  }

  function parametersView(parameters) {
    if (!parameters || !parameters.length) return null;
    var table = el('table', '', el('tr', '', el('th', '', 'name'), el('th', '', 'in'), el('th', '', 'schema'), el('th', '', 'description')));
    parameters.forEach(function (p) {
      var param = resolve(p);
      table.appendChild(el('tr', '',
        el('td', '', el('span', 'prop-name', param.name), param.required ? el('span', 'req', 'required') : null),
        el('td', '', param.in),
        el('td', '', schemaView(param.schema, 0, false)),
        el('td', '', markdown(param.description))));
    });
    return [el('h3', '', 'Parameters'), table];
  }

  function responsesView(responses) {
    var table = el('table', '', el('tr', '', el('th', '', 'status'), el('th', '', 'response')));
    Object.keys(responses || {}).forEach(function (status) {
      var response = resolve(responses[status]) || {};
      table.appendChild(el('tr', '',
        el('td', '', el('span', 'status s' + String(status).charAt(0), status)),
        el('td', '', markdown(response.description), headersView(response.headers), response.content ? contentView(response.content, Number(status) >= 400) : null)));
    });
    return [el('h3', '', 'Responses'), table];
  }

  function operationView(path, method, op) {
    var authenticated = Array.isArray(op.security) && op.security.length > 0;
    var section = el('section', 'op',
      el('div', 'op-head',
        el('span', 'method ' + method, method),
        el('span', 'path mono', path),
        el('span', 'op-summary', op.summary || ''),
        el('span', authenticated ? 'badge auth' : 'badge', authenticated ? 'Bearer token' : 'public')),
      markdown(op.description),
      parametersView(op.parameters));
    section.id = anchorId('op', op.operationId || method + path);
    section.setAttribute('data-search', (method + ' ' + path + ' ' + (op.summary || '')).toLowerCase());
    if (op.requestBody) {
      var body = resolve(op.requestBody);
      section.appendChild(el('h3', '', 'Request body', body.required ? el('span', 'req', 'required') : null));
      section.appendChild(markdown(body.description));
      section.appendChild(contentView(body.content));
    }
    append(section, responsesView(op.responses));
    return section;
  }

  function socketView(socket) {
    var box = el('section', '', el('h2', 'tag', 'Real time (Socket.IO)'));
    box.id = 'socket-io';
    box.appendChild(markdown(socket.description));
    box.appendChild(el('p', '', 'Path ', code(socket.path || '/socket.io'), ', auth payload:'));
    box.appendChild(schemaView(socket.auth, 0, false));
    function events(title, map, withAck) {
      box.appendChild(el('h3', '', title));
      var head = el('tr', '', el('th', '', 'event'), el('th', '', 'payload'));
      if (withAck) head.appendChild(el('th', '', 'ack'));
      var table = el('table', '', head);
      Object.keys(map || {}).forEach(function (name) {
        var event = map[name] || {};
        var row = el('tr', '',
          el('td', '', el('span', 'prop-name', name), markdown(event.description)),
          el('td', '', schemaView(event.payload, 0, false)));
        if (withAck) row.appendChild(el('td', '', event.ack ? schemaView(event.ack, 0, false) : el('span', 'muted', 'none')));
        table.appendChild(row);
      });
      box.appendChild(table);
    }
    events('Client to server', socket.clientToServer, true);
    events('Server to client', socket.serverToClient, false);
    return box;
  }

  function navItem(target, children) {
    var li = el('li');
    var a = el('a', '', children);
    a.setAttribute('href', '#' + target);
    li.appendChild(a);
    return li;
  }

  function render() {
    var info = doc.info || {};
    document.title = (info.title || 'API') + ' ' + (info.version || '');
    root.textContent = '';
    root.appendChild(el('h1', '', info.title || 'API', ' ', el('span', 'muted', info.version || '')));
    if (info.summary) root.appendChild(el('p', 'summary', info.summary));
    var raw = el('a', '', 'openapi.json');
    raw.setAttribute('href', '/api/openapi.json');
    root.appendChild(el('p', 'muted', 'OpenAPI ', doc.openapi || '?', ' · ', raw));
    (doc.servers || []).forEach(function (server) {
      root.appendChild(el('p', '', 'Server: ', code(server.url), ' ', el('span', 'muted', server.description || '')));
    });
    root.appendChild(markdown(info.description));
    var schemes = (doc.components && doc.components.securitySchemes) || {};
    Object.keys(schemes).forEach(function (name) {
      root.appendChild(el('p', '', el('span', 'badge auth', name), ' ', schemes[name].scheme || schemes[name].type || ''));
      root.appendChild(markdown(schemes[name].description));
    });

    var tags = (doc.tags || []).map(function (t) { return t.name; });
    var byTag = {};
    Object.keys(doc.paths || {}).forEach(function (path) {
      METHODS.forEach(function (method) {
        var op = doc.paths[path][method];
        if (!op) return;
        var tag = (op.tags && op.tags[0]) || 'Other';
        if (tags.indexOf(tag) < 0) tags.push(tag);
        (byTag[tag] = byTag[tag] || []).push([path, method, op]);
      });
    });

    navList.textContent = '';
    tags.forEach(function (tag) {
      if (!byTag[tag]) return;
      var tagInfo = (doc.tags || []).filter(function (t) { return t.name === tag; })[0] || {};
      var heading = el('h2', 'tag', tag);
      heading.id = anchorId('tag', tag);
      root.appendChild(heading);
      if (tagInfo.description) root.appendChild(markdown(tagInfo.description));
      navList.appendChild(el('h2', '', tag));
      var ul = el('ul');
      byTag[tag].forEach(function (entry) {
        var section = operationView(entry[0], entry[1], entry[2]);
        root.appendChild(section);
        var li = navItem(section.id, [el('span', 'method ' + entry[1], entry[1]), ' ', el('span', 'mono', entry[0])]);
        li.setAttribute('data-search', section.getAttribute('data-search'));
        ul.appendChild(li);
      });
      navList.appendChild(ul);
    });

    if (doc['x-socket-io']) {
      root.appendChild(socketView(doc['x-socket-io']));
      navList.appendChild(el('h2', '', 'Real time'));
      navList.appendChild(el('ul', '', navItem('socket-io', 'Socket.IO events')));
    }

    var schemas = (doc.components && doc.components.schemas) || {};
    var names = Object.keys(schemas);
    if (names.length) {
      root.appendChild(el('h2', 'tag', 'Schemas'));
      navList.appendChild(el('h2', '', 'Schemas'));
      var schemaNav = el('ul');
      names.forEach(function (name) {
        var section = el('section', 'op', el('div', 'op-head', el('span', 'path mono', name)), schemaView(schemas[name], 0, false));
        section.id = anchorId('schema', name);
        root.appendChild(section);
        schemaNav.appendChild(navItem(section.id, name));
      });
      navList.appendChild(schemaNav);
    }
  }

  document.getElementById('filter').addEventListener('input', function (event) {
    var needle = String(event.target.value || '').toLowerCase();
    var nodes = document.querySelectorAll('[data-search]');
    for (var i = 0; i < nodes.length; i++) {
      var hide = needle !== '' && nodes[i].getAttribute('data-search').indexOf(needle) < 0;
      nodes[i].classList.toggle('hidden', hide);
    }
  });

  fetch('/api/openapi.json', { headers: { accept: 'application/json' } })
    .then(function (response) {
      if (!response.ok) throw new Error('GET /api/openapi.json answered ' + response.status);
      return response.json();
    })
    .then(function (json) {
      doc = json;
      render();
      if (location.hash) {
        var target = document.getElementById(decodeURIComponent(location.hash.slice(1)));
        if (target) target.scrollIntoView();
      }
    })
    .catch(function (error) {
      root.textContent = '';
      root.appendChild(el('p', 'error', 'Could not load the API document: ' + (error && error.message ? error.message : String(error))));
    });
})();
