# Build-time shader compilation and embedding.
#
# fennec_shader(NAME SOURCE [ACT16] [DEFINES d1 d2 ...]) compiles SOURCE
# (relative to shaders/) with glslangValidator into SPIR-V and embeds it as a
# uint32_t array. ACT16 adds the variant NAME_a16, built with FENNEC_ACT_F16
# (binary16 activation storage, shaders/include/storage.glsl).
# fennec_shader_library(TARGET) then emits the ShaderId enum and the blob
# table (fennec_shaders.h / .cpp), where each blob names its _a16 variant,
# and builds a static library.

find_program(GLSLANG_VALIDATOR glslangValidator REQUIRED)

set(FENNEC_SHADER_NAMES "" CACHE INTERNAL "")
set(FENNEC_SHADER_SOURCES "" CACHE INTERNAL "")

function(fennec_shader name source)
  cmake_parse_arguments(ARG "ACT16" "" "DEFINES" ${ARGN})
  if(ARG_ACT16)
    fennec_shader(${name}_a16 ${source} DEFINES ${ARG_DEFINES} FENNEC_ACT_F16)
  endif()
  set(out_dir "${CMAKE_CURRENT_BINARY_DIR}/spirv")
  set(spv "${out_dir}/${name}.spv")
  set(cpp "${out_dir}/${name}.spv.cpp")
  set(define_flags "")
  foreach(d IN LISTS ARG_DEFINES)
    list(APPEND define_flags "-D${d}")
  endforeach()
  file(GLOB includes "${CMAKE_CURRENT_SOURCE_DIR}/include/*.glsl")
  add_custom_command(
    OUTPUT "${spv}"
    COMMAND ${CMAKE_COMMAND} -E make_directory "${out_dir}"
    COMMAND ${GLSLANG_VALIDATOR} -V --target-env vulkan1.1 -S comp
            -I${CMAKE_CURRENT_SOURCE_DIR}/include ${define_flags}
            -o "${spv}" "${CMAKE_CURRENT_SOURCE_DIR}/${source}"
    DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/${source}" ${includes}
    COMMENT "glslang ${name}"
    VERBATIM)
  add_custom_command(
    OUTPUT "${cpp}"
    COMMAND ${CMAKE_COMMAND} -DINPUT=${spv} -DOUTPUT=${cpp} -DSYMBOL=kSpirv_${name}
            -P "${FENNEC_CMAKE_DIR}/spirv_to_cpp.cmake"
    DEPENDS "${spv}" "${FENNEC_CMAKE_DIR}/spirv_to_cpp.cmake"
    VERBATIM)
  set(FENNEC_SHADER_NAMES "${FENNEC_SHADER_NAMES};${name}" CACHE INTERNAL "")
  set(FENNEC_SHADER_SOURCES "${FENNEC_SHADER_SOURCES};${cpp}" CACHE INTERNAL "")
endfunction()

function(fennec_shader_library target)
  set(gen "${CMAKE_CURRENT_BINARY_DIR}/generated")
  set(enum_lines "")
  set(decl_lines "")
  set(table_lines "")
  foreach(name IN LISTS FENNEC_SHADER_NAMES)
    if(name STREQUAL "")
      continue()
    endif()
    string(APPEND enum_lines "  ${name},\n")
    string(APPEND decl_lines "extern const uint32_t kSpirv_${name}[];\nextern const size_t kSpirv_${name}_words;\n")
    set(act16 "kCount")
    if("${name}_a16" IN_LIST FENNEC_SHADER_NAMES)
      set(act16 "${name}_a16")
    endif()
    string(APPEND table_lines "    {\"${name}\", kSpirv_${name}, kSpirv_${name}_words, ShaderId::${act16}},\n")
  endforeach()
  file(WRITE "${gen}/fennec_shaders.h.tmp"
"// Generated from shaders/CMakeLists.txt. Do not edit.
#pragma once
#include <cstddef>
#include <cstdint>
namespace fennec::vulkan {
enum class ShaderId : uint32_t {
${enum_lines}  kCount
};
struct ShaderBlob {
  const char* name;
  const uint32_t* words;
  size_t word_count;
  ShaderId act16;  // the binary16-activation variant, kCount when none
};
const ShaderBlob& shader_blob(ShaderId id);
}  // namespace fennec::vulkan
")
  file(WRITE "${gen}/fennec_shaders.cpp.tmp"
"// Generated from shaders/CMakeLists.txt. Do not edit.
#include \"fennec_shaders.h\"
namespace fennec::vulkan {
${decl_lines}
const ShaderBlob& shader_blob(ShaderId id) {
  static const ShaderBlob kBlobs[] = {
${table_lines}  };
  return kBlobs[static_cast<uint32_t>(id)];
}
}  // namespace fennec::vulkan
")
  configure_file("${gen}/fennec_shaders.h.tmp" "${gen}/fennec_shaders.h" COPYONLY)
  configure_file("${gen}/fennec_shaders.cpp.tmp" "${gen}/fennec_shaders.cpp" COPYONLY)
  add_library(${target} STATIC "${gen}/fennec_shaders.cpp" ${FENNEC_SHADER_SOURCES})
  target_include_directories(${target} PUBLIC "${gen}")
  set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE ON)
endfunction()
