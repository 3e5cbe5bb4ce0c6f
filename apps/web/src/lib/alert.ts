/**
 * The sound and the title badge that tell a party the mediator has arrived or written.
 * The chime is synthesised (no file to fetch); browsers allow audio only after the user
 * has interacted with the page, so the context is created on the first gesture.
 */
let ctx: AudioContext | null = null;
let unread = 0;
let baseTitle = '';

function prime(): void {
  if (ctx || typeof AudioContext === 'undefined') return;
  try {
    ctx = new AudioContext();
  } catch {
    ctx = null;
  }
}

export function installAlerts(): () => void {
  const clear = () => {
    if (document.visibilityState === 'visible') clearBadge();
  };
  window.addEventListener('pointerdown', prime, { once: true });
  window.addEventListener('keydown', prime, { once: true });
  window.addEventListener('focus', clear);
  document.addEventListener('visibilitychange', clear);
  window.addEventListener('pointerdown', clearBadge);
  window.addEventListener('keydown', clearBadge);
  return () => {
    window.removeEventListener('focus', clear);
    document.removeEventListener('visibilitychange', clear);
    window.removeEventListener('pointerdown', clearBadge);
    window.removeEventListener('keydown', clearBadge);
    clearBadge();
  };
}

export function setBaseTitle(title: string): void {
  baseTitle = title;
  document.title = unread > 0 ? `(${unread}) ${baseTitle}` : baseTitle;
}

export function clearBadge(): void {
  if (unread === 0) return;
  unread = 0;
  document.title = baseTitle;
}

export function alertParty(sound: boolean): void {
  unread += 1;
  document.title = `(${unread}) ${baseTitle}`;
  if (!sound || !ctx) return;
  try {
    const now = ctx.currentTime;
    for (const [i, freq] of [660, 880].entries()) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, now + i * 0.18);
      gain.gain.exponentialRampToValueAtTime(0.12, now + i * 0.18 + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + i * 0.18 + 0.5);
      osc.connect(gain).connect(ctx.destination);
      osc.start(now + i * 0.18);
      osc.stop(now + i * 0.18 + 0.55);
    }
  } catch {
    // Sound is a courtesy; the title badge and the banner already tell.
  }
}
