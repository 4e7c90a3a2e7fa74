<%inherit file="layout.mako"/>
<%block name="page_title">${status}</%block>
<h1>${status}</h1>
% if message:
<p class="message">${message}</p>
% endif
% if traceback:
<pre class="traceback">${traceback}</pre>
% endif
<p><a href="/">Back to the home page</a></p>
