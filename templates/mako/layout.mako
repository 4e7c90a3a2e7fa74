<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title><%block name="page_title">${title}</%block></title>
  <link rel="stylesheet" href="/static/style.css">
</head>
<body>
  <header>
    <nav><a href="/">Home</a></nav>
  </header>
  <main>
    ${self.body()}
  </main>
  <footer>
    <p>Served by Cherry, rendered with Mako.</p>
  </footer>
</body>
</html>
