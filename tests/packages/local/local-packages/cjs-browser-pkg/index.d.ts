export declare function describe(): { platform: string; package: string; flags: number[] };
export declare const answer: number;
declare const pkg: { describe: typeof describe; answer: number };
export default pkg;
