// Opening a department loads its children once, from the fragment its data-children names.
document.addEventListener('toggle', async (event) => {
  const details = event.target;
  if (!(details instanceof HTMLDetailsElement) || !details.open || !details.dataset.children || details.dataset.loaded) return;
  details.dataset.loaded = 'yes';
  const answer = await fetch(details.dataset.children, { credentials: 'same-origin' });
  if (!answer.ok) return;
  const holder = details.querySelector(':scope > div');
  holder.innerHTML = await answer.text();
}, true);
