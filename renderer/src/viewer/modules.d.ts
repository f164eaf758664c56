/**
 * The parts of the cornerstone libraries (plain JavaScript, no typings of their own) the viewer uses, typed here.
 */

declare module 'cornerstone-core' {
  export interface Viewport {
    scale: number;
    translation: { x: number; y: number };
    voi: { windowWidth: number; windowCenter: number };
    invert: boolean;
  }
  export interface Image {
    imageId: string;
    rows: number;
    columns: number;
    windowCenter?: number | number[];
    windowWidth?: number | number[];
    minPixelValue: number;
    maxPixelValue: number;
    color: boolean;
    /** The modality LUT the loader read (rescale slope and intercept). */
    slope: number;
    intercept: number;
    sizeInBytes: number;
    /** The frame's samples, in the typed array the loader chose for them. */
    getPixelData(): ArrayLike<number> & { buffer: ArrayBufferLike; byteOffset: number; length: number };
  }
  export interface EnabledElementEvent extends CustomEvent {
    detail: { element: HTMLElement; image: Image; viewport: Viewport };
  }
  const cornerstone: {
    enable(element: HTMLElement, options?: { renderer?: string }): void;
    disable(element: HTMLElement): void;
    displayImage(element: HTMLElement, image: Image, viewport?: Partial<Viewport>): void;
    loadAndCacheImage(imageId: string): Promise<Image>;
    getViewport(element: HTMLElement): Viewport | undefined;
    setViewport(element: HTMLElement, viewport: Partial<Viewport>): void;
    getDefaultViewportForImage(element: HTMLElement, image: Image): Viewport;
    reset(element: HTMLElement): void;
    resize(element: HTMLElement, forceFitToWindow?: boolean): void;
    renderToCanvas(canvas: HTMLCanvasElement, image: Image): void;
    fitToWindow(element: HTMLElement): void;
    registerImageLoader(
      scheme: string,
      loader: (imageId: string) => { promise: Promise<Image>; cancelFn?: () => void },
    ): void;
    getImage(element: HTMLElement): Image | undefined;
    metaData: {
      addProvider(provider: (type: string, imageId: string) => unknown, priority?: number): void;
      removeProvider(provider: (type: string, imageId: string) => unknown): void;
      get(type: string, imageId: string): unknown;
    };
    updateImage(element: HTMLElement): void;
    events: EventTarget;
    EVENTS: { IMAGE_RENDERED: string; NEW_IMAGE: string; IMAGE_LOAD_FAILED: string };
  };
  export default cornerstone;
}

declare module 'cornerstone-tools' {
  type Tool = { name?: string };
  const cornerstoneTools: {
    external: Record<string, unknown>;
    init(config?: Record<string, unknown>): void;
    addToolForElement(element: HTMLElement, tool: Tool, props?: Record<string, unknown>): void;
    setToolActiveForElement(
      element: HTMLElement,
      name: string,
      options: { mouseButtonMask?: number; isTouchActive?: boolean },
    ): void;
    setToolPassiveForElement(element: HTMLElement, name: string): void;
    addStackStateManager(element: HTMLElement, types: string[]): void;
    addToolState(element: HTMLElement, type: string, data: unknown): void;
    getToolState(
      element: HTMLElement,
      type: string,
    ): { data: { currentImageIdIndex: number; imageIds: string[] }[] } | undefined;
    clearToolState(element: HTMLElement, type: string): void;
    importInternal(name: 'util/scrollToIndex'): (element: HTMLElement, index: number) => void;
    stackPrefetch: { enable(element: HTMLElement): void; disable(element: HTMLElement): void };
    WwwcTool: Tool;
    PanTool: Tool;
    ZoomTool: Tool;
    StackScrollTool: Tool;
    StackScrollMouseWheelTool: Tool;
    ZoomMouseWheelTool: Tool;
    LengthTool: Tool;
    AngleTool: Tool;
    CobbAngleTool: Tool;
    EllipticalRoiTool: Tool;
    RectangleRoiTool: Tool;
    ProbeTool: Tool;
    ArrowAnnotateTool: Tool;
    EraserTool: Tool;
    setToolPassive(name: string): void;
    toolColors: { setToolColor(color: string): void; setActiveColor(color: string): void };
    playClip(element: HTMLElement, framesPerSecond?: number): void;
    stopClip(element: HTMLElement): void;
    Synchronizer: new (
      event: string,
      handler: unknown,
    ) => { add(element: HTMLElement): void; remove(element: HTMLElement): void; destroy(): void; enabled: boolean };
    stackImagePositionSynchronizer: unknown;
    stackImagePositionOffsetSynchronizer: unknown;
    stackImageIndexSynchronizer: unknown;
    wwwcSynchronizer: unknown;
    globalImageIdSpecificToolStateManager: {
      saveToolState(): Record<string, Record<string, { data: Record<string, unknown>[] }>>;
      restoreToolState(state: Record<string, Record<string, { data: Record<string, unknown>[] }>>): void;
      clear(element: HTMLElement): void;
    };
    EVENTS: {
      MEASUREMENT_COMPLETED: string;
      MEASUREMENT_MODIFIED: string;
      MEASUREMENT_REMOVED: string;
      STACK_SCROLL: string;
    };
  };
  export default cornerstoneTools;
}

declare module 'cornerstone-math' {
  const cornerstoneMath: Record<string, unknown>;
  export default cornerstoneMath;
}

declare module 'hammerjs' {
  const Hammer: unknown;
  export default Hammer;
}

declare module 'dicom-parser' {
  const dicomParser: Record<string, unknown>;
  export default dicomParser;
}

declare module 'cornerstone-wado-image-loader' {
  /** dicom-parser's data set, as much of it as is used. */
  interface ParsedDataSet {
    elements: Record<string, unknown>;
    uint16(tag: string): number | undefined;
    floatString(tag: string, index?: number): number | undefined;
    intString(tag: string): number | undefined;
    string(tag: string): string | undefined;
  }
  const loader: {
    external: { cornerstone: unknown; dicomParser: unknown };
    configure(options: {
      useWebWorkers?: boolean;
      beforeSend?: (xhr: XMLHttpRequest) => void;
      decodeConfig?: Record<string, unknown>;
      strict?: boolean;
    }): void;
    wadouri: {
      dataSetCacheManager: { purge(): void; get(uri: string): ParsedDataSet | undefined };
      metaData: { metaDataProvider: (type: string, imageId: string) => unknown };
      loadImage(imageId: string): { promise: Promise<import('cornerstone-core').Image>; cancelFn?: () => void };
      parseImageId(imageId: string): { url: string; frame?: number };
    };
    webWorkerManager: {
      initialize(config: {
        maxWebWorkers: number;
        startWebWorkersOnDemand: boolean;
        taskConfiguration: Record<string, Record<string, unknown>>;
      }): void;
    };
  };
  export default loader;
}
