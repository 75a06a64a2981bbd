import { avatarSrc } from './names.js';

/** A user's picture, or their initial on a colour derived from their id. */
export function Avatar({
  name,
  url,
  userId,
  size = 'medium',
  online,
}: {
  name: string;
  url: string | null;
  userId: string;
  size?: 'small' | 'medium' | 'large';
  online?: boolean | undefined;
}) {
  const src = avatarSrc(url);
  const hue = [...userId].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 360, 7);
  return (
    <span class={`avatar avatar-${size} hue-${Math.floor(hue / 30)}`} aria-hidden="true">
      {src ? <img src={src} alt="" loading="lazy" referrerpolicy="no-referrer" /> : <span>{[...name.trim()][0]?.toUpperCase() ?? '?'}</span>}
      {online !== undefined && <span class={online ? 'presence online' : 'presence'} />}
    </span>
  );
}
