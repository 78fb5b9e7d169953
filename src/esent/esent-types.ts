// esent.h's named types for koffi (the module is handed in: load-koffi.ts is the only file that requires it).

let typesDeclared = false;

/** esent.h's named types, declared once per process (koffi's type names are global). */
export function declareEsentTypes(koffi: typeof import('koffi')): void {
  if (typesDeclared) return;
  const alias = (name: string, type: string) => {
    try {
      koffi.type(name);
    } catch {
      koffi.alias(name, type);
    }
  };
  alias('JET_ERR', 'int32_t');
  alias('JET_GRBIT', 'uint32_t');
  alias('JET_ULONG', 'uint32_t'); // esent.h's `unsigned long`: 32 bits on every Windows ABI
  alias('JET_API_PTR', 'uintptr_t');
  alias('JET_INSTANCE', 'uintptr_t');
  alias('JET_HANDLE', 'uintptr_t');
  alias('JET_SESID', 'uintptr_t');
  alias('JET_DBID', 'uint32_t');
  alias('JET_TABLEID', 'uintptr_t');
  alias('JET_COLUMNID', 'uint32_t');
  try {
    koffi.type('JET_LOGINFO_W');
  } catch {
    koffi.struct('JET_LOGINFO_W', {
      cbSize: 'JET_ULONG',
      ulGenLow: 'JET_ULONG',
      ulGenHigh: 'JET_ULONG',
      szBaseName: koffi.array('char16_t', 4, 'String'),
    });
    koffi.struct('JET_COLUMNDEF', {
      cbStruct: 'JET_ULONG',
      columnid: 'JET_COLUMNID',
      coltyp: 'JET_ULONG',
      wCountry: 'uint16_t',
      langid: 'uint16_t',
      cp: 'uint16_t',
      wCollate: 'uint16_t',
      cbMax: 'JET_ULONG',
      grbit: 'JET_GRBIT',
    });
    koffi.struct('JET_RSTMAP_W', { szDatabaseName: 'char16_t *', szNewDatabaseName: 'char16_t *' });
    koffi.struct('JET_INSTANCE_INFO_W', {
      hInstanceId: 'JET_INSTANCE',
      szInstanceName: 'char16_t *',
      cDatabases: 'JET_API_PTR',
      szDatabaseFileName: 'void *',
      szDatabaseDisplayName: 'void *',
      szDatabaseSLVFileName_Obsolete: 'void *',
    });
  }
  typesDeclared = true;
}
