export declare function where(): string;
