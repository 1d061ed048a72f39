#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MaimoBlake3

// The official BLAKE3 test vector for the empty input, and "abc" as b3sum prints it.
let empty = Blake3.hash([UInt8]())
let abc = Blake3.hash(Array("abc".utf8))
print(empty)
print(abc)
guard empty.description == "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262",
      abc.description == "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85" else {
    print("wrong digest")
    exit(1)
}
