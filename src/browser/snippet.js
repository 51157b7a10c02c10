// The async snippet: paste inline, then call idstitch.load(url), idstitch.init({...}) and any method.
// Calls are recorded with their time and replayed in order by idstitch.min.js once it loads.
(function (w, d) {
  var a = (w.idstitch = w.idstitch || []);
  if (!Array.isArray(a) || a.loaded) return;
  a.loaded = 1;
  'init identifyUser identifyCompany setUserProperties track page reset flush optOut optIn setConsent'.split(' ').forEach(function (m) {
    a[m] = function () {
      a.push([m, [].slice.call(arguments), Date.now()]);
      return a;
    };
  });
  a.load = function (src) {
    var s = d.createElement('script');
    s.async = true;
    s.src = src;
    (d.head || d.documentElement).appendChild(s);
  };
})(window, document);
