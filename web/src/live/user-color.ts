// A stable colour per user, so the same person has the same cursor and avatar
// colour in every window.

export interface UserColor {
  color: string;
  /** Selection background: the colour, translucent. */
  colorLight: string;
}

export function colorFor(userId: string): UserColor {
  let hash = 0;
  for (let i = 0; i < userId.length; i++) hash = (Math.imul(hash, 31) + userId.charCodeAt(i)) | 0;
  const hue = Math.abs(hash) % 360;
  // Lightness 40%: white initials and names stay readable on every hue.
  return { color: `hsl(${hue} 70% 40%)`, colorLight: `hsl(${hue} 70% 40% / 0.25)` };
}
