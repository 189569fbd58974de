document.querySelector('#app').textContent += ' (with JavaScript)'
