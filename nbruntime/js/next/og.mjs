// `next/og`: an ImageResponse of its own (next/server's is another copy of the class, as in Next), not emulated
// either: making one says so.
import { ImageResponse as ServerImageResponse } from 'next/server';

export class ImageResponse extends ServerImageResponse {}
