// Add-account form: only the modes the chosen exchange accepts are selectable (the other
// exchanges' option groups are disabled). Without it every group is shown, and a mode the
// exchange refuses comes back as a form error naming the allowed ones.
(function () {
  'use strict';
  var mode = document.querySelector('select[data-mode-choices]');
  var exchange = document.getElementById('f-exchange');
  if (!mode || !exchange || exchange.tagName !== 'SELECT') return;
  function apply() {
    var chosen = exchange.value;
    Array.prototype.forEach.call(mode.querySelectorAll('optgroup[data-exchange]'), function (g) {
      var off = chosen !== '' && g.getAttribute('data-exchange') !== chosen;
      g.disabled = off;
      g.hidden = off;
    });
    var sel = mode.options[mode.selectedIndex];
    if (sel && sel.parentElement && sel.parentElement.disabled) mode.value = '';
  }
  exchange.addEventListener('change', apply);
  apply();
})();
