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

/** Measurement and annotation tools (cornerstone-tools), kept on the images and saved as a presentation state. */
export const MEASURE_TOOLS = [
  ['Length', 'Length'],
  ['Angle', 'Angle'],
  ['CobbAngle', 'Cobb angle'],
  ['EllipticalRoi', 'Ellipse ROI'],
  ['RectangleRoi', 'Rectangle ROI'],
  ['Probe', 'Probe'],
  ['ArrowAnnotate', 'Arrow and text'],
  ['Eraser', 'Delete'],
] as const;

export type LeftTool = (typeof LEFT_TOOLS)[number][0] | (typeof MEASURE_TOOLS)[number][0];
export const ANNOTATION_TOOLS = MEASURE_TOOLS.map(([id]) => id).filter((id) => id !== 'Eraser');
