// allauth's passkey forms announce a failure (cancelled, timed out, no key) as an 'allauth.error' event;
// show it beside the button rather than only in the console.
(function () {
  document.addEventListener('allauth.error', function (event) {
    const box = document.getElementById('passkey_error')
    if (!box) return
    event.preventDefault()
    box.hidden = false
    box.textContent = 'The passkey step did not finish (it was cancelled, timed out, or no passkey was found). ' +
      'Try again, or use a code from your authenticator app.'
  })
})()
