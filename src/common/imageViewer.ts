// An image with "Enlarge" (a full-window view, Escape or a click closes it) and "Download".
import { h, saveBlob } from './dom';

export class ImageViewer {
  readonly node: HTMLElement;
  private img: HTMLImageElement;
  private url: string | null = null;
  private blob: Blob | null = null;

  /** `downloadUrl`: the link the browser fetches a path from; else the loaded bytes. */
  constructor(private title: string, private path: string,
    private downloadUrl?: (path: string) => string) {
    this.img = h('img', { className: 'mlws-image', alt: title, 'data-path': path });
    this.img.addEventListener('click', () => this.enlarge());
    const button = (text: string, label: string, onclick: () => void): HTMLElement =>
      h('button', { className: 'mlws-button mlws-small', type: 'button', 'aria-label': label,
        onclick }, text);
    this.node = h('div', { className: 'mlws-image-viewer' },
      h('div', { className: 'mlws-image-tools' },
        button('Enlarge', `Enlarge ${title}`, () => this.enlarge()),
        button('Download', `Download ${title}`, () => this.download())),
      this.img);
  }

  show(blob: Blob, path = this.path): void {
    this.revoke();
    this.blob = blob;
    this.path = path;
    this.url = URL.createObjectURL(blob);
    this.img.src = this.url;
    this.img.dataset.path = path;
  }

  /** An image that is not there (yet): its text instead. */
  missing(text: string): void {
    this.revoke();
    this.img.removeAttribute('src');
    this.img.alt = text;
  }

  get element(): HTMLImageElement {
    return this.img;
  }

  dispose(): void {
    this.revoke();
  }

  private revoke(): void {
    if (this.url) {
      URL.revokeObjectURL(this.url);
      this.url = null;
    }
  }

  private download(): void {
    const name = this.path.split('/').pop() || 'image';
    if (this.downloadUrl) {
      const a = h('a', { href: this.downloadUrl(this.path), download: name });
      document.body.appendChild(a);
      a.click();
      a.remove();
    } else if (this.blob) {
      saveBlob(this.blob, name);
    }
  }

  private enlarge(): void {
    if (!this.url) {
      return;
    }
    const close = (): void => {
      overlay.remove();
      document.removeEventListener('keydown', onKey, true);
    };
    const onKey = (ev: KeyboardEvent): void => {
      if (ev.key === 'Escape') {
        ev.stopPropagation();
        close();
      }
    };
    const overlay = h('div', { className: 'mlws-lightbox', role: 'dialog',
      'aria-label': this.title, tabindex: -1, onclick: close },
    h('figure', null, h('img', { src: this.url, alt: this.title }),
      h('figcaption', null, this.title, h('span', { className: 'mlws-muted' },
        ' · click or Escape to close'))));
    document.addEventListener('keydown', onKey, true);
    document.body.append(overlay);
    overlay.focus();
  }
}
