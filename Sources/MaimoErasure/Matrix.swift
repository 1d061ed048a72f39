/// A matrix over GF(2⁸), row-major.
struct GaloisMatrix: Equatable, Sendable {
    let rows: Int
    let columns: Int
    var elements: [UInt8]

    init(rows: Int, columns: Int) {
        self.rows = rows
        self.columns = columns
        elements = [UInt8](repeating: 0, count: rows * columns)
    }

    subscript(row: Int, column: Int) -> UInt8 {
        get { elements[row * columns + column] }
        set { elements[row * columns + column] = newValue }
    }

    func row(_ index: Int) -> ArraySlice<UInt8> {
        elements[index * columns..<(index + 1) * columns]
    }

    /// The systematic generator of a (dataCount, totalCount) code: the identity on the first
    /// `dataCount` rows, then the Cauchy rows 1 / (i ⊕ j) for i in dataCount..<totalCount and j in
    /// 0..<dataCount (ISA-L's `gf_gen_cauchy1_matrix`). Every square submatrix of a Cauchy matrix
    /// is invertible, so any `dataCount` rows of the generator are: the code is MDS.
    static func cauchyGenerator(dataCount: Int, totalCount: Int) -> GaloisMatrix {
        var matrix = GaloisMatrix(rows: totalCount, columns: dataCount)
        for i in 0..<dataCount { matrix[i, i] = 1 }
        for i in dataCount..<totalCount {
            for j in 0..<dataCount { matrix[i, j] = GaloisField.inverse(UInt8(i ^ j)) }
        }
        return matrix
    }

    /// The rows `indices`, in that order.
    func selecting(rows indices: [Int]) -> GaloisMatrix {
        var result = GaloisMatrix(rows: indices.count, columns: columns)
        for (r, index) in indices.enumerated() {
            result.elements.replaceSubrange(r * columns..<(r + 1) * columns, with: row(index))
        }
        return result
    }

    /// self · other.
    func multiplied(by other: GaloisMatrix) -> GaloisMatrix {
        precondition(columns == other.rows)
        var result = GaloisMatrix(rows: rows, columns: other.columns)
        for r in 0..<rows {
            for c in 0..<other.columns {
                var sum: UInt8 = 0
                for k in 0..<columns { sum ^= GaloisField.multiply(self[r, k], other[k, c]) }
                result[r, c] = sum
            }
        }
        return result
    }

    /// The inverse by Gauss–Jordan elimination; nil when the matrix is singular.
    func inverted() -> GaloisMatrix? {
        precondition(rows == columns)
        let n = rows
        var work = self
        var inverse = GaloisMatrix(rows: n, columns: n)
        for i in 0..<n { inverse[i, i] = 1 }
        for column in 0..<n {
            guard let pivot = (column..<n).first(where: { work[$0, column] != 0 }) else { return nil }
            if pivot != column {
                for c in 0..<n {
                    work.elements.swapAt(pivot * n + c, column * n + c)
                    inverse.elements.swapAt(pivot * n + c, column * n + c)
                }
            }
            let scale = GaloisField.inverse(work[column, column])
            for c in 0..<n {
                work[column, c] = GaloisField.multiply(work[column, c], scale)
                inverse[column, c] = GaloisField.multiply(inverse[column, c], scale)
            }
            for r in 0..<n where r != column && work[r, column] != 0 {
                let factor = work[r, column]
                for c in 0..<n {
                    work[r, c] ^= GaloisField.multiply(factor, work[column, c])
                    inverse[r, c] ^= GaloisField.multiply(factor, inverse[column, c])
                }
            }
        }
        return inverse
    }
}
