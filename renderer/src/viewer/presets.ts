/** Window presets for CT, in Hounsfield units: [name, width, center]. */
export const CT_PRESETS: [string, number, number][] = [
  ['Brain', 80, 40],
  ['Soft tissue', 400, 40],
  ['Mediastinum', 350, 50],
  ['Liver', 150, 30],
  ['Lung', 1500, -600],
  ['Bone', 2000, 300],
];

/** Which tool the left mouse button drives; the middle button always pans, the right one zooms, the wheel scrolls. */
export const LEFT_TOOLS = [
  ['Wwwc', 'Window/level'],
  ['Pan', 'Pan'],
  ['Zoom', 'Zoom'],
  ['StackScroll', 'Scroll'],
] as const;
export type LeftTool = (typeof LEFT_TOOLS)[number][0];
