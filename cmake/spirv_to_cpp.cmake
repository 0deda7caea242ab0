# cmake -DINPUT=x.spv -DOUTPUT=x.cpp -DSYMBOL=name -P spirv_to_cpp.cmake
# Writes the SPIR-V words of INPUT as a C++ uint32_t array.
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" hex_len)
math(EXPR word_count "${hex_len} / 8")
# SPIR-V words are little-endian: reverse the four bytes of each word.
string(REGEX REPLACE "(..)(..)(..)(..)" "0x\\4\\3\\2\\1," body "${hex}")
string(REGEX REPLACE "((0x........,){8})" "\\1\n" body "${body}")
file(WRITE "${OUTPUT}"
"// Generated from ${INPUT}. Do not edit.
#include <cstddef>
#include <cstdint>
namespace fennec::vulkan {
extern const uint32_t ${SYMBOL}[] = {
${body}
};
extern const size_t ${SYMBOL}_words = ${word_count};
}  // namespace fennec::vulkan
")
