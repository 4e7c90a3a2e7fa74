<%inherit file="layout.mako"/>
<h1>${title}</h1>
% if greeting:
<p class="greeting">${greeting}</p>
% endif
<form method="post" action="/greet">
  <label for="name">Your name</label>
  <input id="name" name="name" type="text" value="${name or ''}" autofocus>
  <button type="submit">Say hello</button>
  % if error:
  <p class="error" role="alert">${error}</p>
  % endif
</form>
