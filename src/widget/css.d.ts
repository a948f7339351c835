// esbuild loads CSS as text for the widget bundle (--loader:.css=text).
declare module '*.css' {
  const text: string;
  export default text;
}
