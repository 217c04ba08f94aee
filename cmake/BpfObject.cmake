# vigil_bpf_skeleton(<target> <file.bpf.c> [DEPENDS headers...])
#
# Compiles a CO-RE eBPF program with clang, links it with bpftool and
# generates a libbpf skeleton header `<name>.skel.h` (struct <name>_bpf) into
# ${CMAKE_CURRENT_BINARY_DIR}/bpf. The skeleton embeds the object bytes, so the
# library ships no separate .o file. `vmlinux.h` is generated from the build
# host's BTF (/sys/kernel/btf/vmlinux); CO-RE relocations make the result run on
# other kernels.
find_program(BPF_CLANG NAMES clang clang-14 REQUIRED)
find_program(BPFTOOL NAMES bpftool PATHS /usr/sbin /sbin REQUIRED)

set(VIGIL_BTF_SOURCE "/sys/kernel/btf/vmlinux" CACHE FILEPATH
    "BTF file used to generate vmlinux.h for the eBPF programs")
set(VIGIL_BPF_GEN_DIR ${CMAKE_BINARY_DIR}/bpf-gen)
file(MAKE_DIRECTORY ${VIGIL_BPF_GEN_DIR})
if(NOT EXISTS ${VIGIL_BTF_SOURCE})
  message(FATAL_ERROR "No kernel BTF at ${VIGIL_BTF_SOURCE}: set VIGIL_BTF_SOURCE to a "
                      "vmlinux with BTF (CONFIG_DEBUG_INFO_BTF=y) to build the eBPF programs")
endif()
add_custom_command(
  OUTPUT ${VIGIL_BPF_GEN_DIR}/vmlinux.h
  COMMAND sh -c "${BPFTOOL} btf dump file ${VIGIL_BTF_SOURCE} format c > ${VIGIL_BPF_GEN_DIR}/vmlinux.h"
  COMMENT "Generating vmlinux.h from ${VIGIL_BTF_SOURCE}"
  VERBATIM)
add_custom_target(vigil_vmlinux_h DEPENDS ${VIGIL_BPF_GEN_DIR}/vmlinux.h)

if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
  set(VIGIL_BPF_ARCH x86)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64")
  set(VIGIL_BPF_ARCH arm64)
else()
  message(FATAL_ERROR "Unsupported architecture for eBPF programs: ${CMAKE_SYSTEM_PROCESSOR}")
endif()

function(vigil_bpf_skeleton target src)
  cmake_parse_arguments(ARG "" "" "DEPENDS" ${ARGN})
  get_filename_component(name ${src} NAME_WE)
  set(outdir ${CMAKE_CURRENT_BINARY_DIR}/bpf)
  file(MAKE_DIRECTORY ${outdir})
  set(obj ${outdir}/${name}.bpf.o)
  set(linked ${outdir}/${name}.linked.o)
  set(skel ${outdir}/${name}.skel.h)
  add_custom_command(
    OUTPUT ${skel}
    COMMAND ${BPF_CLANG} -g -O2 -target bpf -D__TARGET_ARCH_${VIGIL_BPF_ARCH}
            -Wall -Wno-unused-function -Werror
            -I${VIGIL_BPF_GEN_DIR} -I${PROJECT_SOURCE_DIR}/lib
            -c ${CMAKE_CURRENT_SOURCE_DIR}/${src} -o ${obj}
    COMMAND ${BPFTOOL} gen object ${linked} ${obj}
    COMMAND sh -c "${BPFTOOL} gen skeleton ${linked} name ${name}_bpf > ${skel}"
    DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${src} ${ARG_DEPENDS}
    COMMENT "Building eBPF skeleton ${name}.skel.h"
    VERBATIM)
  add_custom_target(${target}_gen DEPENDS ${skel})
  add_dependencies(${target}_gen vigil_vmlinux_h)
  add_library(${target} INTERFACE)
  add_dependencies(${target} ${target}_gen)
  target_include_directories(${target} INTERFACE ${outdir})
endfunction()
